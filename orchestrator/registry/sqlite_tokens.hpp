#pragma once
// The api_tokens table's statements, for SqliteRegistry (which takes the lock and turns
// sqlite::Error into storage errors).
#include <optional>
#include <vector>

#include "orchestrator/registry/sqlite.hpp"
#include "orchestrator/registry/tokens.hpp"

namespace svl::orchestrator::detail {

// False when the name is taken.
bool insert_token(sqlite::Database& db, const ApiToken& token);
std::vector<ApiToken> select_tokens(sqlite::Database& db);
std::optional<ApiToken> select_token_by_hash(sqlite::Database& db, std::string_view hash);
// False when there is no such token.
bool update_token_used(sqlite::Database& db, std::string_view name, std::chrono::system_clock::time_point at);
bool delete_token(sqlite::Database& db, std::string_view name);

}  // namespace svl::orchestrator::detail
