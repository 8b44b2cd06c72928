#include "orchestrator/registry/sqlite_cron_runs.hpp"

#include "orchestrator/registry/schema.hpp"

#include <array>

namespace svl::orchestrator {

namespace {

constexpr std::array<std::string_view, 8> kResultNames = {"running",   "ok",        "failed",  "timeout",
                                                         "cancelled", "abandoned", "skipped", "missed"};

}  // namespace

std::string_view to_string(CronResult r) { return kResultNames[static_cast<std::size_t>(r)]; }

std::optional<CronResult> cron_result_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kResultNames.size(); ++i)
    if (kResultNames[i] == text) return static_cast<CronResult>(i);
  return std::nullopt;
}

namespace detail {

namespace {

using WallTime = std::chrono::system_clock::time_point;

// The nullable columns (started_ms, finished_ms).
std::optional<std::int64_t> nullable_ms(const std::optional<WallTime>& t) {
  return t ? std::optional<std::int64_t>(to_ms(*t)) : std::nullopt;
}
std::optional<WallTime> nullable_time(std::optional<std::int64_t> v) {
  return v ? std::optional<WallTime>(from_ms(*v)) : std::nullopt;
}

std::string_view clipped(std::string_view detail) {
  if (detail.size() <= kCronDetailBytes) return detail;
  detail = detail.substr(0, kCronDetailBytes);
  while (!detail.empty() && (static_cast<unsigned char>(detail.back()) & 0xC0) == 0x80) detail.remove_suffix(1);
  if (!detail.empty() && static_cast<unsigned char>(detail.back()) >= 0xC0) detail.remove_suffix(1);  // a cut lead byte
  return detail;
}

}  // namespace

std::int64_t insert_cron_run(sqlite::Database& db, const CronRun& r) {
  sqlite::Transaction tx(db);
  sqlite::Statement s(db,
                      "INSERT INTO cron_runs (function, trigger, run, scheduled_ms, started_ms, finished_ms, result, "
                      "status, count, catch_up, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  const auto status = r.status ? std::optional<std::int64_t>(*r.status) : std::nullopt;
  s.bind(1, r.function).bind(2, r.trigger).bind(3, r.run).bind(4, to_ms(r.scheduled)).bind(5, nullable_ms(r.started));
  s.bind(6, nullable_ms(r.finished)).bind(7, to_string(r.result)).bind(8, status).bind(9, r.count);
  s.bind(10, std::int64_t{r.catch_up ? 1 : 0}).bind(11, clipped(r.detail));
  s.run();
  const std::int64_t row = db.query_int("SELECT last_insert_rowid()");
  sqlite::Statement trim(db,
                         "DELETE FROM cron_runs WHERE function = ?1 AND trigger = ?2 AND id <= "
                         "(SELECT id FROM cron_runs WHERE function = ?1 AND trigger = ?2 ORDER BY id DESC LIMIT 1 OFFSET ?3)");
  trim.bind(1, r.function).bind(2, r.trigger).bind(3, static_cast<std::int64_t>(kCronRunsKept));
  trim.run();
  tx.commit();
  return row;
}

bool update_cron_run(sqlite::Database& db, std::int64_t row, WallTime finished, CronResult result,
                     std::optional<int> status, std::string_view detail) {
  sqlite::Statement s(db, "UPDATE cron_runs SET finished_ms = ?2, result = ?3, status = ?4, detail = ?5 WHERE id = ?1");
  const auto code = status ? std::optional<std::int64_t>(*status) : std::nullopt;
  s.bind(1, row).bind(2, to_ms(finished)).bind(3, to_string(result)).bind(4, code).bind(5, clipped(detail));
  s.run();
  return db.changes() > 0;
}

std::vector<CronRun> select_cron_runs(sqlite::Database& db, std::string_view function, std::size_t limit) {
  sqlite::Statement s(db,
                      "SELECT id, trigger, run, scheduled_ms, started_ms, finished_ms, result, status, count, catch_up, "
                      "detail FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY trigger ORDER BY id DESC) AS nth "
                      "FROM cron_runs WHERE function = ?1) WHERE nth <= ?2 ORDER BY id DESC");
  s.bind(1, function).bind(2, static_cast<std::int64_t>(limit));
  std::vector<CronRun> out;
  while (s.step()) {
    CronRun r;
    r.row = s.column_int(0);
    r.function = std::string(function);
    r.trigger = s.column_text(1);
    r.run = s.column_optional_int(2);
    r.scheduled = from_ms(s.column_int(3));
    r.started = nullable_time(s.column_optional_int(4));
    r.finished = nullable_time(s.column_optional_int(5));
    r.result = cron_result_from_string(s.column_text(6)).value_or(CronResult::failed);
    if (auto st = s.column_optional_int(7)) r.status = static_cast<int>(*st);
    r.count = s.column_int(8);
    r.catch_up = s.column_int(9) != 0;
    r.detail = s.column_text(10);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace detail
}  // namespace svl::orchestrator
