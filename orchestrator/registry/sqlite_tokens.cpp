#include "orchestrator/registry/sqlite_tokens.hpp"

#include "orchestrator/registry/schema.hpp"

namespace svl::orchestrator::detail {

namespace {

constexpr std::string_view kColumns = "name, scope, hash, created_ms, last_used_ms";

ApiToken token_row(const sqlite::Statement& s) {
  ApiToken t;
  t.name = s.column_text(0);
  t.scope = s.column_text(1);
  t.hash = s.column_text(2);
  t.created_at = from_ms(s.column_int(3));
  if (auto used = s.column_optional_int(4)) t.last_used_at = from_ms(*used);
  return t;
}

}  // namespace

bool insert_token(sqlite::Database& db, const ApiToken& t) {
  sqlite::Statement s(db, "INSERT INTO api_tokens (name, scope, hash, created_ms) VALUES (?1, ?2, ?3, ?4) "
                          "ON CONFLICT (name) DO NOTHING");
  s.bind(1, t.name).bind(2, t.scope).bind(3, t.hash).bind(4, to_ms(t.created_at));
  s.run();
  return db.changes() > 0;
}

std::vector<ApiToken> select_tokens(sqlite::Database& db) {
  sqlite::Statement s(db, "SELECT " + std::string(kColumns) + " FROM api_tokens ORDER BY name");
  std::vector<ApiToken> out;
  while (s.step()) out.push_back(token_row(s));
  return out;
}

std::optional<ApiToken> select_token_by_hash(sqlite::Database& db, std::string_view hash) {
  sqlite::Statement s(db, "SELECT " + std::string(kColumns) + " FROM api_tokens WHERE hash = ?1");
  s.bind(1, hash);
  if (!s.step()) return std::nullopt;
  return token_row(s);
}

bool update_token_used(sqlite::Database& db, std::string_view name, std::chrono::system_clock::time_point at) {
  sqlite::Statement s(db, "UPDATE api_tokens SET last_used_ms = ?2 WHERE name = ?1");
  s.bind(1, name).bind(2, to_ms(at));
  s.run();
  return db.changes() > 0;
}

bool delete_token(sqlite::Database& db, std::string_view name) {
  sqlite::Statement s(db, "DELETE FROM api_tokens WHERE name = ?1");
  s.bind(1, name);
  s.run();
  return db.changes() > 0;
}

}  // namespace svl::orchestrator::detail
