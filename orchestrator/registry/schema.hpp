#pragma once
// The registry's schema, versioned with PRAGMA user_version. Each migration runs in its
// own transaction together with the version bump, so a crash leaves a whole version.
#include <chrono>
#include <cstdint>

#include "orchestrator/registry/sqlite.hpp"

namespace svl::orchestrator::detail {

// Instants are stored as INTEGER milliseconds since the Unix epoch (the *_ms columns).
inline std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// The version this build writes.
std::int64_t schema_version();

// Brings the database up to schema_version(); throws sqlite::Error, also when the file
// was written by a newer svl.
void migrate(sqlite::Database& db);

}  // namespace svl::orchestrator::detail
