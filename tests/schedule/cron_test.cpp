// The cron grammar on wall-clock time: every field form, the OR rule, names, macros, and the
// errors that name the field at fault.
#include "schedule/cron.hpp"

#include <doctest/doctest.h>

#include "tests/schedule/test_time.hpp"

using namespace svl::schedule;
using svl::schedule::test::local;
using svl::schedule::test::show;

namespace {

CronExpr cron(const char* text) {
  auto e = CronExpr::parse(text);
  INFO(text, ": ", e ? "" : e.error().message);
  REQUIRE(e.ok());
  return *e;
}

std::string next(const char* expr, const char* from) { return show(cron(expr).next_match(local(from))); }
std::string prev(const char* expr, const char* at) { return show(cron(expr).prev_match(local(at))); }

ScheduleError error_of(const char* text) {
  auto e = CronExpr::parse(text);
  REQUIRE_FALSE(e.ok());
  return e.error();
}

}  // namespace

TEST_CASE("cron: a value, a list, a range, a step, a range with a step, each in the minute field") {
  CHECK(next("5 * * * *", "2026-01-01 00:00:00") == "2026-01-01 00:05:00");
  CHECK(next("5 * * * *", "2026-01-01 00:05:01") == "2026-01-01 01:05:00");
  CHECK(next("5,20,40 * * * *", "2026-01-01 00:21:00") == "2026-01-01 00:40:00");
  CHECK(next("10-12 * * * *", "2026-01-01 00:12:30") == "2026-01-01 01:10:00");
  CHECK(next("*/14 * * * *", "2026-01-01 00:43:00") == "2026-01-01 00:56:00");
  CHECK(next("*/14 * * * *", "2026-01-01 00:56:01") == "2026-01-01 01:00:00");  // steps restart each hour
  CHECK(next("1-30/5 * * * *", "2026-01-01 00:27:00") == "2026-01-01 01:01:00");
  CHECK(next("1-30/5 * * * *", "2026-01-01 00:12:00") == "2026-01-01 00:16:00");
  CHECK(next("50/5 * * * *", "2026-01-01 00:56:00") == "2026-01-01 01:50:00");  // a/n is a-59/n
  CHECK(next("* * * * *", "2026-01-01 00:00:01") == "2026-01-01 00:01:00");
  CHECK(next("0,30 9-17/4 * * *", "2026-01-01 13:31:00") == "2026-01-01 17:00:00");
}

TEST_CASE("cron: six fields start with seconds, five fire at second 0") {
  CHECK(next("*/10 * * * * *", "2026-01-01 00:00:01") == "2026-01-01 00:00:10");
  CHECK(next("30 0 12 * * *", "2026-01-01 00:00:00") == "2026-01-01 12:00:30");
  CHECK(next("0 0 * * *", "2026-01-01 00:00:01") == "2026-01-02 00:00:00");
  CHECK(cron("*/2 * * * * *").matches(local("2026-01-01 00:00:04")));
  CHECK_FALSE(cron("*/2 * * * * *").matches(local("2026-01-01 00:00:05")));
}

TEST_CASE("cron: month and day-of-week names in any case, 7 is Sunday, ranges of names") {
  // 2026-01-01 is a Thursday.
  CHECK(next("0 8 * * MON-FRI", "2026-01-02 09:00:00") == "2026-01-05 08:00:00");
  CHECK(next("0 8 * * mon", "2026-01-01 00:00:00") == "2026-01-05 08:00:00");
  CHECK(next("0 8 * * 7", "2026-01-01 00:00:00") == "2026-01-04 08:00:00");
  CHECK(next("0 8 * * 0", "2026-01-01 00:00:00") == "2026-01-04 08:00:00");
  CHECK(next("0 8 * * FRI-SUN", "2026-01-01 09:00:00") == "2026-01-02 08:00:00");
  CHECK(next("0 8 * * 5-7", "2026-01-03 09:00:00") == "2026-01-04 08:00:00");
  CHECK(next("0 0 1 jun,Dec *", "2026-01-01 00:00:00") == "2026-06-01 00:00:00");
  CHECK(next("0 0 1 JUN-AUG/2 *", "2026-06-01 00:00:01") == "2026-08-01 00:00:00");
  CHECK(next("0 0 * * */2", "2026-01-01 00:00:01") == "2026-01-03 00:00:00");  // Sun, Tue, Thu, Sat
}

TEST_CASE("cron: the macros") {
  CHECK(cron("@yearly") == cron("0 0 1 1 *"));
  CHECK(cron("@annually") == cron("0 0 1 1 *"));
  CHECK(cron("@monthly") == cron("0 0 1 * *"));
  CHECK(cron("@weekly") == cron("0 0 * * 0"));
  CHECK(cron("@daily") == cron("0 0 * * *"));
  CHECK(cron("@midnight") == cron("0 0 * * *"));
  CHECK(cron("@hourly") == cron("0 * * * *"));
  CHECK(cron("@HOURLY") == cron("0 * * * *"));
  CHECK(next("@weekly", "2026-01-01 00:00:00") == "2026-01-04 00:00:00");
  CHECK(error_of("@reboot").message.find("not a macro") != std::string::npos);
}

TEST_CASE("cron: Vixie's OR rule when both day fields are restricted, AND when one starts with '*'") {
  // The 13th, or any Friday.
  CHECK(next("0 0 13 * FRI", "2026-01-01 00:00:01") == "2026-01-02 00:00:00");
  CHECK(next("0 0 13 * FRI", "2026-01-10 00:00:00") == "2026-01-13 00:00:00");
  // day-of-month '*/2' starts with '*': it must match as well as the weekday (odd days that are Fridays).
  CHECK(next("0 0 */2 * FRI", "2026-01-01 00:00:01") == "2026-01-09 00:00:00");
  // Feb 29 or a Monday: fires each Monday, not only in leap years.
  CHECK(next("0 0 29 2 MON", "2026-01-01 00:00:00") == "2026-02-02 00:00:00");
}

TEST_CASE("cron: month ends, Feb 29 and year ends") {
  CHECK(next("0 0 31 * *", "2026-04-01 00:00:00") == "2026-05-31 00:00:00");  // April has no 31st
  CHECK(next("0 12 30 * *", "2026-01-31 00:00:00") == "2026-03-30 12:00:00");  // nor February a 30th
  CHECK(next("0 0 29 2 *", "2026-01-01 00:00:00") == "2028-02-29 00:00:00");
  CHECK(next("0 0 29 2 *", "2096-03-01 00:00:00") == "2104-02-29 00:00:00");  // 2100 is no leap year
  CHECK(next("59 23 31 12 *", "2026-12-31 23:59:01") == "2027-12-31 23:59:00");
  CHECK(next("0 0 * * *", "2026-12-31 23:59:59") == "2027-01-01 00:00:00");
  CHECK(next("* * * * * *", "2026-12-31 23:59:59") == "2026-12-31 23:59:59");  // at or after
  CHECK(prev("0 0 29 2 *", "2027-06-01 00:00:00") == "2024-02-29 00:00:00");
  CHECK(prev("0 0 1 1 *", "2027-01-01 00:00:00") == "2027-01-01 00:00:00");  // at or before
  CHECK(prev("0 0 1 1 *", "2026-12-31 23:59:59") == "2026-01-01 00:00:00");
  CHECK(prev("*/14 * * * *", "2026-01-01 00:10:00") == "2026-01-01 00:00:00");
  CHECK(prev("*/14 * * * *", "2025-12-31 23:59:00") == "2025-12-31 23:56:00");
  CHECK(prev("0 18 * * 1-5", "2026-01-04 12:00:00") == "2026-01-02 18:00:00");  // Friday's, over the weekend
  CHECK(prev("0 0 31 * *", "2026-05-30 00:00:00") == "2026-03-31 00:00:00");
}

TEST_CASE("cron: next and prev agree with matches() over a week, second by minute") {
  const char* exprs[] = {"*/7 3-5 * * *", "0 0 13 * FRI", "15 */5 * * 1-5", "30 */20 2 * * *"};
  for (const char* expr : exprs) {
    const CronExpr e = cron(expr);
    auto t = local("2026-01-01 00:00:00");
    for (int i = 0; i < 50; ++i) {
      const auto n = e.next_match(t);
      REQUIRE(n.has_value());
      CHECK(e.matches(*n));
      CHECK(e.prev_match(*n) == n);
      CHECK(e.prev_match(*n - std::chrono::seconds{1}) < *n);
      t = *n + std::chrono::seconds{1};
    }
  }
}

TEST_CASE("cron: errors name the field and why") {
  auto e = error_of("61 * * * *");
  CHECK(e.code == ScheduleErrc::out_of_range);
  CHECK(e.message == "minute 61 is out of range 0-59");
  CHECK(error_of("0 24 * * *").message == "hour 24 is out of range 0-23");
  CHECK(error_of("0 0 0 * *").message == "day-of-month 0 is out of range 1-31");
  CHECK(error_of("0 0 * 13 *").message == "month 13 is out of range 1-12");
  CHECK(error_of("0 0 * * 8").message == "day-of-week 8 is out of range 0-7");
  CHECK(error_of("60 * * * * *").message == "second 60 is out of range 0-59");
  CHECK(error_of("99999999999 * * * *").message.find("minute 99999999999 is out of range") == 0);
  CHECK(error_of("* * * *").message.find("expected 5 fields") == 0);
  CHECK(error_of("* * * * * * *").message.find("got 7") != std::string::npos);
  CHECK(error_of("").code == ScheduleErrc::bad_syntax);
  CHECK(error_of("*/0 * * * *").message == "minute: step 0 is out of range 1-60");
  CHECK(error_of("*/x * * * *").message == "minute: step \"x\" is not a number");
  CHECK(error_of("30-10 * * * *").message == "minute: range 30-10 runs backwards");
  CHECK(error_of("1,,2 * * * *").message.find("minute: an empty item") == 0);
  CHECK(error_of("0 0 * * MUN").message == "day-of-week: \"MUN\" is not a number or a name (SUN..SAT)");
  CHECK(error_of("0 0 * FOO *").message == "month: \"FOO\" is not a number or a name (JAN..DEC)");
  CHECK(error_of("0 MON * * *").message == "hour: \"MON\" is not a number");
  CHECK(error_of("1- * * * *").message == "minute: a value is missing");
}

TEST_CASE("cron: a schedule that never fires is refused, and says so") {
  auto e = error_of("* * 30 2 *");
  CHECK(e.code == ScheduleErrc::never_fires);
  CHECK(e.message == "never fires: day-of-month 30 never occurs in February");
  CHECK(error_of("0 0 31 4,6,9,11 *").message ==
        "never fires: day-of-month 31 never occurs in April, June, September, November");
  CHECK(CronExpr::parse("0 0 30 2 MON").ok());  // the OR rule: every Monday in February
  CHECK(CronExpr::parse("0 0 29 2 *").ok());    // once every four (or eight) years
  CHECK(CronExpr::parse("0 0 31 1-12 *").ok());
}

TEST_CASE("cron: which DST rule applies is read from the hour field") {
  CHECK(cron("*/14 * * * *").elapsed_time());
  CHECK(cron("0 */2 * * *").elapsed_time());
  CHECK(cron("@hourly").elapsed_time());
  CHECK_FALSE(cron("30 2 * * *").elapsed_time());
  CHECK_FALSE(cron("0 1-23/2 * * *").elapsed_time());
  CHECK_FALSE(cron("@daily").elapsed_time());
}
