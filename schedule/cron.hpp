#pragma once
// svl's cron grammar, on local (wall-clock) time only; time zones and DST are zoned.hpp's.
//
//   [second] minute hour day-of-month month day-of-week
//
// 5 fields, or 6 with a leading seconds field (5 fields fire at second 0). Each field is a
// list of items separated by ','; an item is '*', a value 'a', a range 'a-b', each optionally
// with a step '/n' ('a/n' is 'a-<max>/n'). Months take JAN..DEC, days of the week SUN..SAT
// (any case); day-of-week is 0-7, 0 and 7 both Sunday. '@yearly' ('@annually'), '@monthly',
// '@weekly', '@daily' ('@midnight') and '@hourly' stand for their usual 5 fields.
// Vixie cron's OR rule: when both day-of-month and day-of-week are restricted (neither starts
// with '*'), a day matching either fires; otherwise a day must match both.
#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "schedule/error.hpp"

namespace svl::schedule {

class CronExpr {
public:
  // Checks every field and that the expression fires at all (an exact check over the
  // 400-year Gregorian cycle); errors name the field at fault and why.
  static Result<CronExpr, ScheduleError> parse(std::string_view text);

  bool matches(std::chrono::local_seconds t) const;
  // The first matching local time at or after `from`, the last at or before `at`.
  std::optional<std::chrono::local_seconds> next_match(std::chrono::local_seconds from) const;
  std::optional<std::chrono::local_seconds> prev_match(std::chrono::local_seconds at) const;

  // The hour field starts with '*' ('*' or '*/n'): such a job runs on elapsed time across a
  // DST change; any other is a fixed-time job (see zoned.hpp).
  bool elapsed_time() const { return hour_star_; }
  const std::string& text() const { return text_; }

  bool operator==(const CronExpr& o) const {
    return seconds_ == o.seconds_ && minutes_ == o.minutes_ && hours_ == o.hours_ && days_ == o.days_ &&
           months_ == o.months_ && weekdays_ == o.weekdays_ && dom_star_ == o.dom_star_ && dow_star_ == o.dow_star_ &&
           hour_star_ == o.hour_star_;
  }

private:
  bool day_matches(std::chrono::local_days day) const;

  std::string text_;
  std::bitset<60> seconds_, minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1..31
  std::bitset<13> months_;    // 1..12
  std::bitset<7> weekdays_;   // 0 = Sunday
  bool dom_star_ = true, dow_star_ = true, hour_star_ = true;
};

}  // namespace svl::schedule
