#pragma once
// The svl::schedule objects of a spec's [[scale.schedule]] and [[cron]] entries. A spec that
// came out of the parser has valid ones, so these fail only if the system's tzdata has lost a
// zone since the spec was checked (a stored spec read back after an upgrade).
#include <vector>

#include "common/result.hpp"
#include "orchestrator/spec/function_spec.hpp"
#include "schedule/error.hpp"
#include "schedule/windows.hpp"
#include "schedule/zoned.hpp"

namespace svl::orchestrator {

svl::Result<std::vector<schedule::Window>, schedule::ScheduleError> capacity_windows(const ScaleSpec& scale);
svl::Result<schedule::Schedule, schedule::ScheduleError> cron_schedule(const CronSpec& cron);

}  // namespace svl::orchestrator
