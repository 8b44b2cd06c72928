#include "orchestrator/spec/spec_schedule.hpp"

namespace svl::orchestrator {

svl::Result<std::vector<schedule::Window>, schedule::ScheduleError> capacity_windows(const ScaleSpec& scale) {
  std::vector<schedule::Window> out;
  out.reserve(scale.schedule.size());
  for (const auto& w : scale.schedule) {
    auto start = schedule::Schedule::parse(w.start, w.timezone);
    if (!start) return start.error();
    auto end = schedule::Schedule::parse(w.end, w.timezone);
    if (!end) return end.error();
    out.push_back(schedule::Window{std::move(*start), std::move(*end), w.min, w.max});
  }
  return out;
}

svl::Result<schedule::Schedule, schedule::ScheduleError> cron_schedule(const CronSpec& cron) {
  return schedule::Schedule::parse(cron.schedule, cron.timezone);
}

}  // namespace svl::orchestrator
