#pragma once
// A cron expression in an IANA time zone: its fire instants, with the DST rules of Vixie
// cron and cronie. Zones come from the system's tzdata through Howard Hinnant's date/tz
// (GCC 12's <chrono> has no tzdb). All times are passed in; nothing here reads a clock.
//
// DST (docs/svl-toml.md, "Daylight saving time"):
// - elapsed-time jobs (the hour field is '*' or '*/n') fire at every instant whose wall-clock
//   time matches: across a change they run on elapsed time, none lost and none doubled
//   ("*/15 * * * *" fires 01:45 then 03:00 when 02:00 jumps to 03:00);
// - fixed-time jobs (any other hour field) fire once per matching wall-clock time: a time
//   skipped by a change fires once at the first valid instant after it (the change itself),
//   a time repeated by a change fires once, at its first occurrence.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "schedule/cron.hpp"
#include "schedule/error.hpp"

namespace date {
class time_zone;
}

namespace svl::schedule {

using std::chrono::sys_seconds;

class TimeZone {
public:
  // "UTC" needs no tzdata; any other name must be a zone (or link) of the system's tzdata.
  static Result<TimeZone, ScheduleError> locate(std::string_view name);
  static TimeZone utc() { return TimeZone(nullptr, "UTC"); }

  const std::string& name() const { return name_; }
  std::chrono::local_seconds to_local(sys_seconds t) const;
  // t as the zone's wall-clock time with its abbreviation, for svl status: "2026-01-08 08:00:00 CET".
  std::string format(sys_seconds t) const;

  // The offset period holding t: [begin, end) with local = sys + offset throughout.
  struct Period {
    sys_seconds begin, end;
    std::chrono::seconds offset;
  };
  Period period_at(sys_seconds t) const;
  // The first instant whose wall-clock time is `local` or later: the instant itself when it
  // is unique, its first occurrence when a change repeats it, the change when it skips it.
  sys_seconds first_at_or_after(std::chrono::local_seconds local) const;

  bool operator==(const TimeZone& o) const { return zone_ == o.zone_ && name_ == o.name_; }

private:
  TimeZone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}

  const date::time_zone* zone_;  // nullptr: UTC
  std::string name_;
};

class Schedule {
public:
  static Result<Schedule, ScheduleError> parse(std::string_view cron, std::string_view time_zone = "UTC");
  Schedule(CronExpr cron, TimeZone zone) : cron_(std::move(cron)), zone_(std::move(zone)) {}

  // The first fire strictly after `after`; the last at or before `at`. nullopt only beyond
  // the 400-year search horizon (a parsed CronExpr always fires).
  std::optional<sys_seconds> next(sys_seconds after) const;
  std::optional<sys_seconds> prev(sys_seconds at) const;

  const CronExpr& cron() const { return cron_; }
  const TimeZone& zone() const { return zone_; }

private:
  // The latest wall-clock time shown at or before t (after a change back it is ahead of t's).
  std::chrono::local_seconds latest_local(sys_seconds t) const;

  CronExpr cron_;
  TimeZone zone_;
};

}  // namespace svl::schedule
