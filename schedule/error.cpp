#include "schedule/error.hpp"

#include "common/error_category.hpp"

namespace svl::schedule {
namespace {

const char* message(ScheduleErrc e) noexcept {
  switch (e) {
    case ScheduleErrc::bad_syntax: return "not a cron expression";
    case ScheduleErrc::out_of_range: return "cron value out of range";
    case ScheduleErrc::never_fires: return "cron expression never fires";
    case ScheduleErrc::unknown_time_zone: return "unknown time zone";
  }
  return "unknown schedule error";
}

}  // namespace

const std::error_category& schedule_category() noexcept {
  return svl::enum_category<ScheduleErrc, "svl.schedule", message>();
}

std::error_code make_error_code(ScheduleErrc e) noexcept { return {static_cast<int>(e), schedule_category()}; }

}  // namespace svl::schedule
