#pragma once
// The usage_hourly table's statements, for SqliteRegistry (which takes the lock, checks names and
// turns sqlite::Error into storage errors).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orchestrator/registry/registry.hpp"
#include "orchestrator/registry/sqlite.hpp"

namespace svl::orchestrator::detail {

// No negative or non-finite counter.
bool valid_counters(const UsageCounters& delta);
// Adds each delta to its function's bucket of `at`, in one transaction.
void insert_usage(sqlite::Database& db, const std::vector<std::pair<std::string, UsageCounters>>& deltas, WallTime at);
// Totals per function over the buckets from `since` to `until` (the bucket holding `until`
// included): `name`'s alone, or every live function's (zero when it has none) and every other
// function with usage in that time.
std::vector<FunctionUsage> select_usage(sqlite::Database& db, std::optional<std::string_view> name, WallTime since,
                                        std::optional<WallTime> until);

}  // namespace svl::orchestrator::detail
