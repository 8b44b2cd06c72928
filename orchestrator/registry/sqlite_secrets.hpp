#pragma once
// The secrets table's statements, for SqliteRegistry (which takes the lock, checks names and
// turns sqlite::Error into storage errors).
#include <optional>
#include <string_view>
#include <vector>

#include "orchestrator/registry/secrets.hpp"
#include "orchestrator/registry/sqlite.hpp"

namespace svl::orchestrator::detail {

// Inserts or replaces in one transaction; the record as stored, its version one above the last.
SecretRecord upsert_secret(sqlite::Database& db, std::string_view name, std::string_view sealed, std::int64_t size,
                           std::chrono::system_clock::time_point now);
std::vector<SecretRecord> select_secrets(sqlite::Database& db);  // by name, without `sealed`
std::optional<SecretRecord> select_secret(sqlite::Database& db, std::string_view name);
bool delete_secret_row(sqlite::Database& db, std::string_view name);  // false: no such secret

// A revision's secret_versions column: a JSON object, name -> version ("{}" for none).
std::string versions_json(const SecretVersions& versions);
SecretVersions versions_of(const std::string& text);

}  // namespace svl::orchestrator::detail
