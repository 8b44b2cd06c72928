#include "orchestrator/registry/sqlite_usage.hpp"

#include <climits>
#include <cmath>
#include <map>

namespace svl::orchestrator::detail {

namespace {

std::int64_t bucket_of(WallTime t) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  const auto width = std::chrono::duration_cast<std::chrono::seconds>(Registry::usage_bucket).count();
  // Floor division, so times before 1970 (never in practice) still land in the right bucket.
  return seconds >= 0 ? seconds / width : -((-seconds + width - 1) / width);
}

}  // namespace

bool valid_counters(const UsageCounters& d) {
  auto ok = [](double v) { return std::isfinite(v) && v >= 0; };
  return d.requests >= 0 && ok(d.container_seconds) && ok(d.gb_seconds) && d.cold_starts_paused >= 0 &&
         d.cold_starts_stopped >= 0 && d.cold_starts_removed >= 0;
}

void insert_usage(sqlite::Database& db, const std::vector<std::pair<std::string, UsageCounters>>& deltas, WallTime at) {
  sqlite::Transaction tx(db);
  sqlite::Statement s(db,
                      "INSERT INTO usage_hourly (function, hour, requests, container_seconds, gb_seconds, "
                      "cold_starts_paused, cold_starts_stopped, cold_starts_removed) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                      "ON CONFLICT (function, hour) DO UPDATE SET "
                      "requests = requests + excluded.requests, "
                      "container_seconds = container_seconds + excluded.container_seconds, "
                      "gb_seconds = gb_seconds + excluded.gb_seconds, "
                      "cold_starts_paused = cold_starts_paused + excluded.cold_starts_paused, "
                      "cold_starts_stopped = cold_starts_stopped + excluded.cold_starts_stopped, "
                      "cold_starts_removed = cold_starts_removed + excluded.cold_starts_removed");
  const std::int64_t bucket = bucket_of(at);
  for (const auto& [name, d] : deltas) {
    s.bind(1, name).bind(2, bucket).bind(3, d.requests).bind(4, d.container_seconds).bind(5, d.gb_seconds);
    s.bind(6, d.cold_starts_paused).bind(7, d.cold_starts_stopped).bind(8, d.cold_starts_removed);
    s.run();
    s.reset();
  }
  tx.commit();
}

std::vector<FunctionUsage> select_usage(sqlite::Database& db, std::optional<std::string_view> name, WallTime since,
                                        std::optional<WallTime> until) {
  std::map<std::string, UsageCounters> totals;
  if (!name) {
    sqlite::Statement live(db, "SELECT name FROM functions WHERE deleted_ms IS NULL");
    while (live.step()) totals[live.column_text(0)];
  } else {
    totals[std::string(*name)];
  }
  // An `until` inside a bucket includes that bucket: buckets are the finest grain there is.
  const std::int64_t last = until ? bucket_of(*until - std::chrono::milliseconds(1)) : INT64_MAX;
  sqlite::Statement s(db,
                      "SELECT function, SUM(requests), SUM(container_seconds), SUM(gb_seconds), "
                      "SUM(cold_starts_paused), SUM(cold_starts_stopped), SUM(cold_starts_removed) "
                      "FROM usage_hourly WHERE hour >= ?1 AND hour <= ?2 AND (?3 IS NULL OR function = ?3) "
                      "GROUP BY function");
  s.bind(1, bucket_of(since)).bind(2, last);
  if (name) s.bind(3, *name);
  while (s.step()) {
    UsageCounters& c = totals[s.column_text(0)];
    c.requests = s.column_int(1);
    c.container_seconds = s.column_double(2);
    c.gb_seconds = s.column_double(3);
    c.cold_starts_paused = s.column_int(4);
    c.cold_starts_stopped = s.column_int(5);
    c.cold_starts_removed = s.column_int(6);
  }
  std::vector<FunctionUsage> out;
  for (auto& [function, counters] : totals) out.push_back(FunctionUsage{function, counters});
  return out;
}

}  // namespace svl::orchestrator::detail
