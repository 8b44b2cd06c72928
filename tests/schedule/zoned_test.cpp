// Fire instants in IANA zones, and both DST changes in Europe/Berlin and America/New_York for
// fixed-time jobs and for elapsed-time ('*' or step hour) jobs. Instants are UTC.
//   Berlin 2026:   03-29 01:00 UTC, 02:00 CET -> 03:00 CEST;  10-25 01:00 UTC, 03:00 CEST -> 02:00 CET
//   New York 2026: 03-08 07:00 UTC, 02:00 EST -> 03:00 EDT;   11-01 06:00 UTC, 02:00 EDT -> 01:00 EST
#include "schedule/zoned.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/schedule/test_time.hpp"

using namespace svl::schedule;
using svl::schedule::test::show;
using svl::schedule::test::utc;

namespace {

Schedule schedule(const char* cron, const char* zone) {
  auto s = Schedule::parse(cron, zone);
  INFO(cron, " in ", zone, ": ", s ? "" : s.error().message);
  REQUIRE(s.ok());
  return *s;
}

// The next n fire instants after `from`, as UTC text.
std::vector<std::string> fires(const char* cron, const char* zone, const char* from, int n) {
  const Schedule s = schedule(cron, zone);
  std::vector<std::string> out;
  auto t = utc(from);
  for (int i = 0; i < n; ++i) {
    const auto next = s.next(t);
    REQUIRE(next.has_value());
    REQUIRE(*next > t);
    out.push_back(show(*next));
    t = *next;
  }
  return out;
}

using Fires = std::vector<std::string>;

}  // namespace

TEST_CASE("zoned: UTC needs no tzdata, a zone is looked up by its IANA name, unknown names are refused") {
  CHECK(TimeZone::locate("UTC").ok());
  CHECK(TimeZone::locate("Etc/UTC").ok());
  CHECK(TimeZone::locate("Europe/Berlin").ok());
  auto bad = TimeZone::locate("Europe/Berln");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ScheduleErrc::unknown_time_zone);
  CHECK(bad.error().message.find("unknown time zone \"Europe/Berln\"") == 0);
  CHECK_FALSE(TimeZone::locate("").ok());
  CHECK_FALSE(Schedule::parse("0 8 * * *", "Mars/Olympus").ok());
  CHECK(Schedule::parse("61 * * * *", "UTC").error().message == "minute 61 is out of range 0-59");
}

TEST_CASE("zoned: wall-clock times in a zone, outside any DST change") {
  // 08:00 on weekdays in Berlin: 07:00 UTC in winter, 06:00 UTC in summer.
  CHECK(fires("0 8 * * 1-5", "Europe/Berlin", "2026-01-02 07:00:00", 2) == Fires{"2026-01-05 07:00:00", "2026-01-06 07:00:00"});
  CHECK(fires("0 8 * * 1-5", "Europe/Berlin", "2026-07-01 00:00:00", 1) == Fires{"2026-07-01 06:00:00"});
  CHECK(fires("0 8 * * *", "America/New_York", "2026-01-01 00:00:00", 1) == Fires{"2026-01-01 13:00:00"});
  // A year end in the zone comes before UTC's.
  CHECK(fires("0 0 1 1 *", "Europe/Berlin", "2026-06-01 00:00:00", 1) == Fires{"2026-12-31 23:00:00"});
  CHECK(fires("0 0 29 2 *", "America/New_York", "2026-06-01 00:00:00", 1) == Fires{"2028-02-29 05:00:00"});
}

TEST_CASE("zoned DST Berlin, spring forward: a fixed-time job in the skipped hour runs once, at 03:00") {
  CHECK(fires("30 2 * * *", "Europe/Berlin", "2026-03-28 00:00:00", 3) ==
        Fires{"2026-03-28 01:30:00", "2026-03-29 01:00:00", "2026-03-30 00:30:00"});
  // Every minute of the skipped hour: once, not sixty times.
  CHECK(fires("* 2 * * *", "Europe/Berlin", "2026-03-29 00:00:00", 2) == Fires{"2026-03-29 01:00:00", "2026-03-30 00:00:00"});
  CHECK(fires("0,30 2 * * *", "Europe/Berlin", "2026-03-29 00:00:00", 2) == Fires{"2026-03-29 01:00:00", "2026-03-30 00:00:00"});
  CHECK(fires("0 3 * * *", "Europe/Berlin", "2026-03-29 00:00:00", 1) == Fires{"2026-03-29 01:00:00"});
}

TEST_CASE("zoned DST Berlin, fall back: a fixed-time job in the repeated hour runs once, at its first occurrence") {
  CHECK(fires("30 2 * * *", "Europe/Berlin", "2026-10-24 12:00:00", 2) == Fires{"2026-10-25 00:30:00", "2026-10-26 01:30:00"});
  // Asked during the repeated hour, after the first 02:30: the second 02:30 does not fire.
  CHECK(fires("30 2 * * *", "Europe/Berlin", "2026-10-25 01:15:00", 1) == Fires{"2026-10-26 01:30:00"});
  CHECK(fires("*/20 2 * * *", "Europe/Berlin", "2026-10-24 23:50:00", 4) ==
        Fires{"2026-10-25 00:00:00", "2026-10-25 00:20:00", "2026-10-25 00:40:00", "2026-10-26 01:00:00"});
  const Schedule s = schedule("30 2 * * *", "Europe/Berlin");
  CHECK(show(s.prev(utc("2026-10-25 01:45:00"))) == "2026-10-25 00:30:00");
}

TEST_CASE("zoned DST Berlin: step and '*' hour jobs run on elapsed time, none lost and none doubled") {
  CHECK(fires("*/15 * * * *", "Europe/Berlin", "2026-03-29 00:40:00", 3) ==
        Fires{"2026-03-29 00:45:00", "2026-03-29 01:00:00", "2026-03-29 01:15:00"});
  CHECK(fires("0 * * * *", "Europe/Berlin", "2026-10-24 23:30:00", 3) ==
        Fires{"2026-10-25 00:00:00", "2026-10-25 01:00:00", "2026-10-25 02:00:00"});
  CHECK(fires("*/15 * * * *", "Europe/Berlin", "2026-10-25 00:40:00", 3) ==
        Fires{"2026-10-25 00:45:00", "2026-10-25 01:00:00", "2026-10-25 01:15:00"});
  // Six-field, every 30 s, across the change: 30 s apart throughout.
  CHECK(fires("*/30 * * * * *", "Europe/Berlin", "2026-03-29 00:59:00", 3) ==
        Fires{"2026-03-29 00:59:30", "2026-03-29 01:00:00", "2026-03-29 01:00:30"});
  const Schedule s = schedule("0 * * * *", "Europe/Berlin");
  CHECK(show(s.prev(utc("2026-10-25 01:30:00"))) == "2026-10-25 01:00:00");
  CHECK(show(s.prev(utc("2026-03-29 01:00:00"))) == "2026-03-29 01:00:00");
}

TEST_CASE("zoned DST New York: both changes, fixed-time and elapsed-time jobs") {
  CHECK(fires("30 2 * * *", "America/New_York", "2026-03-07 00:00:00", 3) ==
        Fires{"2026-03-07 07:30:00", "2026-03-08 07:00:00", "2026-03-09 06:30:00"});
  CHECK(fires("30 1 * * *", "America/New_York", "2026-10-31 12:00:00", 2) == Fires{"2026-11-01 05:30:00", "2026-11-02 06:30:00"});
  CHECK(fires("*/30 * * * *", "America/New_York", "2026-11-01 05:00:00", 4) ==
        Fires{"2026-11-01 05:30:00", "2026-11-01 06:00:00", "2026-11-01 06:30:00", "2026-11-01 07:00:00"});
  CHECK(fires("0 * * * *", "America/New_York", "2026-03-08 06:30:00", 2) == Fires{"2026-03-08 07:00:00", "2026-03-08 08:00:00"});
  const Schedule s = schedule("30 2 * * *", "America/New_York");
  CHECK(show(s.prev(utc("2026-03-08 07:00:00"))) == "2026-03-08 07:00:00");
  CHECK(show(s.prev(utc("2026-03-08 06:59:59"))) == "2026-03-07 07:30:00");
}

TEST_CASE("zoned: next and prev agree through both DST weeks, for either kind of job") {
  const char* zones[] = {"Europe/Berlin", "America/New_York", "UTC"};
  const char* exprs[] = {"30 2 * * *", "*/20 1-3 * * *", "*/7 * * * *", "0 */2 * * *", "0 0,30 1,2 * * *"};
  const char* weeks[] = {"2026-03-05 00:00:00", "2026-10-22 00:00:00"};
  for (const char* zone : zones)
    for (const char* expr : exprs)
      for (const char* week : weeks) {
        const Schedule s = schedule(expr, zone);
        INFO(expr, " in ", zone, " from ", week);
        auto t = utc(week);
        const auto end = t + std::chrono::days{14};
        while (t < end) {
          const auto n = s.next(t);
          REQUIRE(n.has_value());
          REQUIRE(*n > t);
          CHECK(s.prev(*n) == n);                       // a fire is its own latest
          CHECK(s.prev(*n - std::chrono::seconds{1}) <= t);  // nothing in between was passed over
          t = *n;
        }
      }
}

TEST_CASE("zoned: instants shown in the zone's wall-clock time, for svl status") {
  CHECK(TimeZone::utc().format(utc("2026-01-08 07:00:00")) == "2026-01-08 07:00:00 UTC");
  const auto berlin = TimeZone::locate("Europe/Berlin");
  REQUIRE(berlin.ok());
  CHECK(berlin->format(utc("2026-01-08 07:00:00")) == "2026-01-08 08:00:00 CET");
  CHECK(berlin->format(utc("2026-10-25 00:30:00")) == "2026-10-25 02:30:00 CEST");
  CHECK(berlin->format(utc("2026-10-25 01:30:00")) == "2026-10-25 02:30:00 CET");
}
