// Scheduled-capacity windows: open from the most recent start to the next end after it,
// overlaps take the highest min, windows across midnight, and the lead ahead of a start.
#include "schedule/windows.hpp"

#include <vector>

#include <doctest/doctest.h>

#include "tests/schedule/test_time.hpp"

using namespace svl::schedule;
using namespace std::chrono_literals;
using svl::schedule::test::show;
using svl::schedule::test::utc;

namespace {

Window window(const char* start, const char* end, const char* zone, std::int64_t min,
              std::optional<std::int64_t> max = std::nullopt) {
  auto s = Schedule::parse(start, zone);
  auto e = Schedule::parse(end, zone);
  REQUIRE(s.ok());
  REQUIRE(e.ok());
  return Window{*s, *e, min, max};
}

}  // namespace

TEST_CASE("windows: weekdays 08:00-18:00 in Berlin") {
  const std::vector<Window> ws{window("0 8 * * 1-5", "0 18 * * 1-5", "Europe/Berlin", 2)};
  // Wednesday 2026-01-07, 10:00 in Berlin (CET, UTC+1): open since 08:00, closes at 18:00.
  InForce f = in_force(ws, utc("2026-01-07 09:00:00"));
  CHECK(f.window == 0u);
  CHECK(f.min == 2);
  CHECK_FALSE(f.max.has_value());
  CHECK(show(f.since) == "2026-01-07 07:00:00");
  CHECK(show(f.next_change) == "2026-01-07 17:00:00");
  // 20:00: closed until Thursday 08:00.
  f = in_force(ws, utc("2026-01-07 19:00:00"));
  CHECK_FALSE(f.window.has_value());
  CHECK(f.min == 0);
  CHECK(show(f.next_change) == "2026-01-08 07:00:00");
  // Friday evening: closed over the weekend, until Monday.
  CHECK(show(in_force(ws, utc("2026-01-09 18:00:00")).next_change) == "2026-01-12 07:00:00");
  // At the very start and end instants.
  CHECK(in_force(ws, utc("2026-01-07 07:00:00")).window == 0u);
  CHECK_FALSE(in_force(ws, utc("2026-01-07 17:00:00")).window.has_value());
  CHECK_FALSE(in_force(ws, utc("2026-01-07 06:59:59")).window.has_value());
  // Summer time: 08:00 CEST is 06:00 UTC.
  CHECK(in_force(ws, utc("2026-07-01 06:00:00")).window == 0u);
  CHECK_FALSE(in_force(ws, utc("2026-07-01 05:59:59")).window.has_value());
}

TEST_CASE("windows: one across midnight is open from 22:00 to 06:00, as seen at any hour (daemon start)") {
  const std::vector<Window> ws{window("0 22 * * *", "0 6 * * *", "UTC", 1)};
  CHECK(in_force(ws, utc("2026-01-07 23:00:00")).window == 0u);
  const InForce night = in_force(ws, utc("2026-01-08 03:00:00"));
  CHECK(night.window == 0u);
  CHECK(show(night.since) == "2026-01-07 22:00:00");
  CHECK(show(night.next_change) == "2026-01-08 06:00:00");
  CHECK_FALSE(in_force(ws, utc("2026-01-08 07:00:00")).window.has_value());
  CHECK_FALSE(in_force(ws, utc("2026-01-08 21:59:59")).window.has_value());
  // A start that fires again while open keeps it open until the next end after it.
  const std::vector<Window> hourly{window("30 * * * *", "0 6 * * *", "UTC", 1)};
  CHECK(in_force(hourly, utc("2026-01-08 05:30:00")).window == 0u);
  CHECK(show(in_force(hourly, utc("2026-01-08 05:30:00")).next_change) == "2026-01-08 06:00:00");
  CHECK_FALSE(in_force(hourly, utc("2026-01-08 06:00:00")).window.has_value());
  CHECK(in_force(hourly, utc("2026-01-08 07:00:00")).window == 0u);
  CHECK(show(in_force(hourly, utc("2026-01-08 07:00:00")).next_change) == "2026-01-09 06:00:00");
  // A start and an end at the same instant: the end closes only what opened before it.
  const std::vector<Window> same{window("0 6 * * *", "0 6 * * 1", "UTC", 1)};
  CHECK(in_force(same, utc("2026-01-12 06:00:00")).window == 0u);  // Monday
  CHECK(in_force(same, utc("2026-01-12 05:59:59")).window == 0u);
  CHECK(show(in_force(same, utc("2026-01-12 05:00:00")).next_change) == "never");  // open for good
}

TEST_CASE("windows: overlapping windows take the highest min, on a tie the first, its max comes with it") {
  const std::vector<Window> ws{window("0 8 * * *", "0 18 * * *", "UTC", 2, 4),
                               window("0 12 * * *", "0 14 * * *", "UTC", 5, 8),
                               window("0 12 * * *", "0 14 * * *", "UTC", 5),
                               window("0 9 * * *", "0 11 * * *", "UTC", 1)};
  InForce f = in_force(ws, utc("2026-01-07 10:00:00"));
  CHECK(f.window == 0u);  // window 3 is open too, with a lower min
  CHECK(f.min == 2);
  CHECK(f.max == 4);
  CHECK(show(f.next_change) == "2026-01-07 12:00:00");  // 11:00, window 3's end, changes nothing
  f = in_force(ws, utc("2026-01-07 13:00:00"));
  CHECK(f.window == 1u);
  CHECK(f.min == 5);
  CHECK(f.max == 8);
  CHECK(show(f.next_change) == "2026-01-07 14:00:00");
  f = in_force(ws, utc("2026-01-07 14:00:00"));
  CHECK(f.window == 0u);
  CHECK(show(f.since) == "2026-01-07 08:00:00");
  CHECK(show(in_force(ws, utc("2026-01-07 07:00:00")).next_change) == "2026-01-07 08:00:00");
}

TEST_CASE("windows: none at all") {
  const InForce f = in_force({}, utc("2026-01-07 10:00:00"));
  CHECK_FALSE(f.window.has_value());
  CHECK(f.min == 0);
  CHECK_FALSE(f.next_change.has_value());
}

TEST_CASE("windows: replicas start ahead of a window by the wake estimate plus the margin") {
  const std::vector<Window> ws{window("0 8 * * *", "0 18 * * *", "UTC", 3)};
  // wake 2.5 s + margin 5 s = 8 s (rounded up).
  Lead lead = lead_for(ws, utc("2026-01-07 07:00:00"), 2500ms, 5s);
  CHECK(lead.lead == 8s);
  CHECK(show(lead.starts_at) == "2026-01-07 08:00:00");
  CHECK(show(lead.begin_at) == "2026-01-07 07:59:52");
  CHECK(lead.window == 0u);
  CHECK(lead.min == 3);
  CHECK_FALSE(lead.in_lead);
  CHECK_FALSE(lead_for(ws, utc("2026-01-07 07:59:51"), 2500ms, 5s).in_lead);
  CHECK(lead_for(ws, utc("2026-01-07 07:59:52"), 2500ms, 5s).in_lead);
  CHECK(lead_for(ws, utc("2026-01-07 07:59:59"), 2500ms, 5s).in_lead);

  Plan p = plan(ws, utc("2026-01-07 07:00:00"), 2500ms);
  CHECK(p.ready_min == 0);
  CHECK(show(p.next_wake) == "2026-01-07 07:59:52");  // default margin 5 s
  p = plan(ws, utc("2026-01-07 07:59:55"), 2500ms);
  CHECK(p.ready_min == 3);  // ready by 08:00
  CHECK_FALSE(p.in_force.window.has_value());
  CHECK(show(p.next_wake) == "2026-01-07 08:00:00");
  p = plan(ws, utc("2026-01-07 08:00:00"), 2500ms);
  CHECK(p.ready_min == 3);
  CHECK(p.in_force.window == 0u);
  CHECK_FALSE(p.lead.in_lead);
  CHECK_FALSE(p.lead.begin_at.has_value());  // nothing raises min above 3 before the end
  CHECK(show(p.next_wake) == "2026-01-07 18:00:00");
  p = plan(ws, utc("2026-01-07 18:00:00"), 2500ms);
  CHECK(p.ready_min == 0);
  CHECK(show(p.lead.begin_at) == "2026-01-08 07:59:52");
  CHECK(show(p.next_wake) == "2026-01-08 07:59:52");
}

TEST_CASE("windows: the lead looks past a change that lowers min, and a raise inside an open window") {
  const std::vector<Window> ws{window("0 8 * * *", "0 12 * * *", "UTC", 2),
                               window("0 12 * * *", "0 13 * * *", "UTC", 1),
                               window("0 13 * * *", "0 18 * * *", "UTC", 4)};
  // At 11:00 (min 2): 12:00 lowers to 1, 13:00 raises to 4 -> lead for 13:00.
  Lead lead = lead_for(ws, utc("2026-01-07 11:00:00"), 30s, 0s);
  CHECK(show(lead.starts_at) == "2026-01-07 13:00:00");
  CHECK(lead.min == 4);
  CHECK(lead.window == 2u);
  // At 12:59:40 in window 1 (min 1): the raise to 4 is 20 s away, inside the 30 s lead.
  Plan p = plan(ws, utc("2026-01-07 12:59:40"), 30s, 0s);
  CHECK(p.in_force.min == 1);
  CHECK(p.lead.in_lead);
  CHECK(p.ready_min == 4);
}

TEST_CASE("windows: a start in the hour skipped by DST opens the window at the first valid instant") {
  // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
  const std::vector<Window> ws{window("30 2 * * *", "0 4 * * *", "Europe/Berlin", 1)};
  CHECK_FALSE(in_force(ws, utc("2026-03-29 00:59:59")).window.has_value());
  const InForce f = in_force(ws, utc("2026-03-29 01:00:00"));
  CHECK(f.window == 0u);
  CHECK(show(f.next_change) == "2026-03-29 02:00:00");  // 04:00 CEST
  CHECK(show(in_force(ws, utc("2026-03-28 12:00:00")).next_change) == "2026-03-29 01:00:00");
  // The repeated hour in October: open once, from the first 02:30 to 04:00 CET.
  CHECK(show(in_force(ws, utc("2026-10-24 12:00:00")).next_change) == "2026-10-25 00:30:00");
  CHECK(show(in_force(ws, utc("2026-10-25 01:45:00")).since) == "2026-10-25 00:30:00");
  CHECK(show(in_force(ws, utc("2026-10-25 01:45:00")).next_change) == "2026-10-25 03:00:00");
}
