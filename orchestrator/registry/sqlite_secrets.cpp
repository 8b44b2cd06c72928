#include "orchestrator/registry/sqlite_secrets.hpp"

#include <nlohmann/json.hpp>

#include "orchestrator/registry/schema.hpp"

namespace svl::orchestrator::detail {

SecretRecord upsert_secret(sqlite::Database& db, std::string_view name, std::string_view sealed, std::int64_t size,
                           std::chrono::system_clock::time_point now) {
  sqlite::Transaction tx(db);
  sqlite::Statement s(db,
                      "INSERT INTO secrets (name, sealed, size, version, updated_ms) VALUES (?1, ?2, ?3, 1, ?4) "
                      "ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, size = excluded.size, "
                      "version = version + 1, updated_ms = excluded.updated_ms");
  s.bind(1, name).bind_blob(2, sealed).bind(3, size).bind(4, to_ms(now)).run();
  auto stored = select_secret(db, name);
  tx.commit();
  return *stored;
}

std::vector<SecretRecord> select_secrets(sqlite::Database& db) {
  sqlite::Statement s(db, "SELECT name, size, version, updated_ms FROM secrets ORDER BY name");
  std::vector<SecretRecord> out;
  while (s.step()) out.push_back(SecretRecord{s.column_text(0), s.column_int(1), s.column_int(2), from_ms(s.column_int(3)), {}});
  return out;
}

std::optional<SecretRecord> select_secret(sqlite::Database& db, std::string_view name) {
  sqlite::Statement s(db, "SELECT name, size, version, updated_ms, sealed FROM secrets WHERE name = ?1");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return SecretRecord{s.column_text(0), s.column_int(1), s.column_int(2), from_ms(s.column_int(3)), s.column_blob(4)};
}

bool delete_secret_row(sqlite::Database& db, std::string_view name) {
  sqlite::Statement s(db, "DELETE FROM secrets WHERE name = ?1");
  s.bind(1, name).run();
  return db.changes() > 0;
}

std::string versions_json(const SecretVersions& versions) { return nlohmann::json(versions).dump(); }

SecretVersions versions_of(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  SecretVersions out;
  if (j.is_object())
    for (const auto& [name, version] : j.items())
      if (version.is_number_integer()) out[name] = version.get<std::int64_t>();
  return out;
}

}  // namespace svl::orchestrator::detail
