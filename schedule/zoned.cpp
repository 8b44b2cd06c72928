#include "schedule/zoned.hpp"

#include <stdexcept>

#include <date/tz.h>

namespace svl::schedule {
namespace {

using namespace std::chrono;

date::local_seconds to_date(local_seconds t) { return date::local_seconds{t.time_since_epoch()}; }

// Periods are months apart; this bounds the walk over them for a rare schedule.
constexpr int kMaxPeriods = 4000;

}  // namespace

Result<TimeZone, ScheduleError> TimeZone::locate(std::string_view name) {
  if (name == "UTC") return utc();
  std::string why;
  try {
    return TimeZone(date::locate_zone(name), std::string(name));
  } catch (const std::exception& e) {
    why = e.what();
  }
  std::string message = "unknown time zone \"" + std::string(name) + "\": use an IANA name such as \"Europe/Berlin\"";
  if (why.find(std::string(name)) == std::string::npos) message += " (" + why + ")";  // tzdata missing or unreadable
  return ScheduleError{ScheduleErrc::unknown_time_zone, std::move(message)};
}

TimeZone::Period TimeZone::period_at(sys_seconds t) const {
  if (!zone_) return {sys_seconds::min(), sys_seconds::max(), seconds{0}};
  const auto info = zone_->get_info(t);
  return {info.begin, info.end, info.offset};
}

local_seconds TimeZone::to_local(sys_seconds t) const { return local_seconds{(t + period_at(t).offset).time_since_epoch()}; }

std::string TimeZone::format(sys_seconds t) const {
  if (!zone_) return date::format("%F %T UTC", t);
  return date::format("%F %T %Z", date::zoned_seconds{zone_, t});
}

sys_seconds TimeZone::first_at_or_after(local_seconds local) const {
  if (!zone_) return sys_seconds{local.time_since_epoch()};
  const auto info = zone_->get_info(to_date(local));
  if (info.result == date::local_info::nonexistent) return info.first.end;
  // unique, or ambiguous: `first` is the earlier of the two periods.
  return sys_seconds{local.time_since_epoch() - info.first.offset};
}

Result<Schedule, ScheduleError> Schedule::parse(std::string_view cron, std::string_view time_zone) {
  auto expr = CronExpr::parse(cron);
  if (!expr) return expr.error();
  auto zone = TimeZone::locate(time_zone);
  if (!zone) return zone.error();
  return Schedule(std::move(*expr), std::move(*zone));
}

local_seconds Schedule::latest_local(sys_seconds t) const {
  const auto period = zone_.period_at(t);
  const local_seconds here = zone_.to_local(t);
  if (period.begin == sys_seconds::min()) return here;
  const local_seconds before = zone_.to_local(period.begin - seconds{1});
  return before > here ? before : here;
}

std::optional<sys_seconds> Schedule::next(sys_seconds after) const {
  if (!cron_.elapsed_time()) {
    // Fixed-time: each matching wall-clock time L fires once, at first_at_or_after(L), which
    // grows with L; those at or before `after` are exactly the L up to latest_local(after).
    const auto match = cron_.next_match(latest_local(after) + seconds{1});
    if (!match) return std::nullopt;
    return zone_.first_at_or_after(*match);
  }
  sys_seconds t = after + seconds{1};
  for (int i = 0; i < kMaxPeriods; ++i) {
    const auto period = zone_.period_at(t);
    const auto match = cron_.next_match(local_seconds{(t + period.offset).time_since_epoch()});
    if (!match) return std::nullopt;
    const sys_seconds at{match->time_since_epoch() - period.offset};
    if (at < period.end) return at;
    t = period.end;  // the match lies beyond this period: look again in the next
  }
  return std::nullopt;
}

std::optional<sys_seconds> Schedule::prev(sys_seconds at) const {
  if (!cron_.elapsed_time()) {
    const auto match = cron_.prev_match(latest_local(at));
    if (!match) return std::nullopt;
    return zone_.first_at_or_after(*match);
  }
  sys_seconds t = at;
  for (int i = 0; i < kMaxPeriods; ++i) {
    const auto period = zone_.period_at(t);
    const auto match = cron_.prev_match(local_seconds{(t + period.offset).time_since_epoch()});
    if (!match) return std::nullopt;
    const sys_seconds found{match->time_since_epoch() - period.offset};
    if (found >= period.begin) return found;
    t = period.begin - seconds{1};
  }
  return std::nullopt;
}

}  // namespace svl::schedule
