#pragma once
// The cron_runs table's statements, for SqliteRegistry (which takes the lock and turns
// sqlite::Error into storage errors).
#include <vector>

#include "orchestrator/registry/cron_runs.hpp"
#include "orchestrator/registry/sqlite.hpp"

namespace svl::orchestrator::detail {

std::int64_t insert_cron_run(sqlite::Database& db, const CronRun& run);
// False when there is no such row.
bool update_cron_run(sqlite::Database& db, std::int64_t row, std::chrono::system_clock::time_point finished,
                     CronResult result, std::optional<int> status, std::string_view detail);
std::vector<CronRun> select_cron_runs(sqlite::Database& db, std::string_view function, std::size_t limit);

}  // namespace svl::orchestrator::detail
