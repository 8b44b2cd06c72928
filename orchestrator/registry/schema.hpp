#pragma once
// The registry's schema, versioned with PRAGMA user_version. Each migration runs in its
// own transaction together with the version bump, so a crash leaves a whole version.
#include <cstdint>

#include "orchestrator/registry/sqlite.hpp"

namespace svl::orchestrator::detail {

// The version this build writes.
std::int64_t schema_version();

// Brings the database up to schema_version(); throws sqlite::Error, also when the file
// was written by a newer svl.
void migrate(sqlite::Database& db);

}  // namespace svl::orchestrator::detail
