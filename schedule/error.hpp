#pragma once
// Errors of svl::schedule: a cron expression, a time zone or a window that cannot be used.
#include <string>
#include <system_error>

namespace svl::schedule {

enum class ScheduleErrc {
  bad_syntax = 1,     // not a cron expression: wrong number of fields, a stray character
  out_of_range,       // a value outside its field's range (minute 61)
  never_fires,        // valid fields that never meet ("* * 30 2 *")
  unknown_time_zone,  // not an IANA zone in the system's tzdata
};

const std::error_category& schedule_category() noexcept;
std::error_code make_error_code(ScheduleErrc e) noexcept;

struct ScheduleError {
  ScheduleErrc code = ScheduleErrc::bad_syntax;
  std::string message;  // names the field at fault and why: "minute 61 is out of range 0-59"
};

}  // namespace svl::schedule

template <>
struct std::is_error_code_enum<svl::schedule::ScheduleErrc> : std::true_type {};
