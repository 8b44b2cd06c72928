#pragma once
// A cron trigger's history as the registry keeps it: each run (its fire time, when the call
// started and ended, and how), and the fire times that did not run (skipped, missed while the
// daemon was down) as one record per stretch. The newest kCronRunsKept per trigger are kept.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svl::orchestrator {

enum class CronResult {
  running,    // the call is in flight (or was, when the daemon stopped: see abandoned)
  ok,         // 2xx or 3xx
  failed,     // any other status, or no answer (the message says why)
  timeout,    // no answer within the trigger's timeout
  cancelled,  // concurrency = "replace": a newer run took its place
  abandoned,  // in flight when the daemon stopped; its call was lost with it
  skipped,    // fire times not run: concurrency = "forbid" with a run in flight, or the tick came late
  missed,     // fire times that passed while the daemon was down (caught_up: the last one ran)
};
std::string_view to_string(CronResult r);
std::optional<CronResult> cron_result_from_string(std::string_view text);

inline constexpr std::size_t kCronRunsKept = 200;
inline constexpr std::size_t kCronDetailBytes = 512;  // the first bytes of an error

struct CronRun {
  std::int64_t row = 0;  // the registry's id (newest is largest)
  std::string function;
  std::string trigger;
  std::optional<std::int64_t> run;  // the trigger's run id; nullopt for skipped and missed records
  std::chrono::system_clock::time_point scheduled;  // the fire time (skipped, missed: the first)
  // skipped, missed: `finished` is the last fire time the record stands for.
  std::optional<std::chrono::system_clock::time_point> started, finished;
  CronResult result = CronResult::running;
  std::optional<int> status;  // the HTTP status, when there was an answer
  std::int64_t count = 1;     // fire times this record stands for (skipped, missed)
  bool catch_up = false;      // a run made up at start-up for one missed while down
  std::string detail;         // why it failed, skipped or was missed (at most kCronDetailBytes)
};

}  // namespace svl::orchestrator
