// Cron-trigger bookkeeping: due runs, the concurrency policies, runs missed while down
// (skipped, or the latest caught up), late ticks, runs lost with the daemon.
#include "schedule/trigger.hpp"

#include <vector>

#include <doctest/doctest.h>

#include "tests/schedule/test_time.hpp"

using namespace svl::schedule;
using namespace std::chrono_literals;
using svl::schedule::test::show;
using svl::schedule::test::utc;

namespace {

Trigger every_10s(Concurrency c, bool catch_up = false) {
  auto s = Schedule::parse("*/10 * * * * *", "UTC");
  REQUIRE(s.ok());
  return Trigger(*s, c, catch_up);
}

template <class A>
const A& as(const Action& a) {
  REQUIRE(std::holds_alternative<A>(a));
  return std::get<A>(a);
}

}  // namespace

TEST_CASE("trigger: a new trigger misses nothing and starts a run at each fire time") {
  Trigger t = every_10s(Concurrency::forbid);
  CHECK(t.resume({}, std::nullopt, utc("2026-01-07 10:00:05")).empty());
  CHECK(show(t.next_fire()) == "2026-01-07 10:00:10");
  CHECK(t.tick(utc("2026-01-07 10:00:09")).empty());
  auto actions = t.tick(utc("2026-01-07 10:00:10"));
  REQUIRE(actions.size() == 1);
  const auto& run = as<action::StartRun>(actions[0]);
  CHECK(run.id == 1);
  CHECK(show(run.scheduled) == "2026-01-07 10:00:10");
  CHECK(run.lateness == 0s);
  CHECK_FALSE(run.catch_up);
  CHECK(show(t.next_fire()) == "2026-01-07 10:00:20");
  CHECK(t.tick(utc("2026-01-07 10:00:10")).empty());  // handled once
}

TEST_CASE("trigger: forbid skips a fire time while a run is in flight") {
  Trigger t = every_10s(Concurrency::forbid);
  (void)t.resume({}, std::nullopt, utc("2026-01-07 10:00:05"));
  (void)t.tick(utc("2026-01-07 10:00:10"));
  auto actions = t.tick(utc("2026-01-07 10:00:20"));
  REQUIRE(actions.size() == 1);
  const auto& skip = as<action::SkipRun>(actions[0]);
  CHECK(skip.reason == action::SkipReason::still_running);
  CHECK(show(skip.scheduled) == "2026-01-07 10:00:20");
  t.finished(1);
  actions = t.tick(utc("2026-01-07 10:00:31"));
  REQUIRE(actions.size() == 1);
  CHECK(as<action::StartRun>(actions[0]).id == 2);
  CHECK(as<action::StartRun>(actions[0]).lateness == 1s);
}

TEST_CASE("trigger: allow starts runs side by side") {
  Trigger t = every_10s(Concurrency::allow);
  (void)t.resume({}, std::nullopt, utc("2026-01-07 10:00:05"));
  (void)t.tick(utc("2026-01-07 10:00:10"));
  auto actions = t.tick(utc("2026-01-07 10:00:20"));
  REQUIRE(actions.size() == 1);
  CHECK(as<action::StartRun>(actions[0]).id == 2);
  CHECK(std::vector<RunId>(t.running().begin(), t.running().end()) == std::vector<RunId>{1, 2});
  t.finished(1);
  CHECK(std::vector<RunId>(t.running().begin(), t.running().end()) == std::vector<RunId>{2});
}

TEST_CASE("trigger: replace cancels the run in flight and starts a new one") {
  Trigger t = every_10s(Concurrency::replace);
  (void)t.resume({}, std::nullopt, utc("2026-01-07 10:00:05"));
  (void)t.tick(utc("2026-01-07 10:00:10"));
  auto actions = t.tick(utc("2026-01-07 10:00:20"));
  REQUIRE(actions.size() == 2);
  CHECK(as<action::CancelRun>(actions[0]).id == 1);
  CHECK(as<action::StartRun>(actions[1]).id == 2);
  CHECK(std::vector<RunId>(t.running().begin(), t.running().end()) == std::vector<RunId>{2});
  t.finished(1);  // the cancelled call ends: nothing changes
  CHECK(t.running().size() == 1);
  // Nothing in flight: no cancel.
  t.finished(2);
  actions = t.tick(utc("2026-01-07 10:00:30"));
  REQUIRE(actions.size() == 1);
  CHECK(as<action::StartRun>(actions[0]).id == 3);
}

TEST_CASE("trigger: a late tick runs the latest fire time once and skips the older ones") {
  Trigger t = every_10s(Concurrency::allow);
  (void)t.resume({}, std::nullopt, utc("2026-01-07 10:00:05"));
  auto actions = t.tick(utc("2026-01-07 10:00:45"));
  REQUIRE(actions.size() == 2);
  const auto& skip = as<action::SkipRun>(actions[0]);
  CHECK(skip.reason == action::SkipReason::late);
  CHECK(show(skip.scheduled) == "2026-01-07 10:00:10");
  CHECK(skip.count == 3);  // :10, :20, :30
  const auto& run = as<action::StartRun>(actions[1]);
  CHECK(show(run.scheduled) == "2026-01-07 10:00:40");
  CHECK(run.lateness == 5s);
  CHECK(show(t.next_fire()) == "2026-01-07 10:00:50");
}

TEST_CASE("trigger: runs missed while down are skipped and reported, ids continue") {
  Trigger t = every_10s(Concurrency::forbid);
  const std::vector<RunRecord> records{{6, utc("2026-01-07 08:59:50"), utc("2026-01-07 08:59:51")},
                                       {7, utc("2026-01-07 09:00:00"), utc("2026-01-07 09:00:02")}};
  auto actions = t.resume(records, utc("2026-01-07 09:00:00"), utc("2026-01-07 09:00:35"));
  REQUIRE(actions.size() == 1);
  const auto& missed = as<action::MissedWhileDown>(actions[0]);
  CHECK(show(missed.first) == "2026-01-07 09:00:10");
  CHECK(show(missed.last) == "2026-01-07 09:00:30");
  CHECK(missed.count == 3);
  CHECK_FALSE(missed.more);
  CHECK_FALSE(missed.caught_up);
  CHECK(show(t.next_fire()) == "2026-01-07 09:00:40");
  actions = t.tick(utc("2026-01-07 09:00:40"));
  REQUIRE(actions.size() == 1);
  CHECK(as<action::StartRun>(actions[0]).id == 8);
}

TEST_CASE("trigger: with catch_up the most recent missed run runs once at start-up") {
  Trigger t = every_10s(Concurrency::forbid, true);
  const std::vector<RunRecord> records{{7, utc("2026-01-07 09:00:00"), utc("2026-01-07 09:00:02")}};
  auto actions = t.resume(records, utc("2026-01-07 09:00:00"), utc("2026-01-07 09:00:35"));
  REQUIRE(actions.size() == 2);
  CHECK(as<action::MissedWhileDown>(actions[0]).caught_up);
  CHECK(as<action::MissedWhileDown>(actions[0]).count == 3);
  const auto& run = as<action::StartRun>(actions[1]);
  CHECK(run.id == 8);
  CHECK(run.catch_up);
  CHECK(show(run.scheduled) == "2026-01-07 09:00:30");
  CHECK(run.lateness == 5s);
  // The caught-up run is in flight: forbid skips the next fire time if it is still running.
  actions = t.tick(utc("2026-01-07 09:00:40"));
  REQUIRE(actions.size() == 1);
  CHECK(as<action::SkipRun>(actions[0]).reason == action::SkipReason::still_running);
  // Nothing missed: nothing to catch up.
  Trigger quiet = every_10s(Concurrency::forbid, true);
  CHECK(quiet.resume(records, utc("2026-01-07 09:00:00"), utc("2026-01-07 09:00:09")).empty());
}

TEST_CASE("trigger: a run in flight when the daemon stopped is abandoned, a deploy time counts as since") {
  Trigger t = every_10s(Concurrency::forbid);
  const std::vector<RunRecord> records{{3, utc("2026-01-07 09:00:00"), std::nullopt}};
  auto actions = t.resume(records, utc("2026-01-07 09:00:00"), utc("2026-01-07 09:00:05"));
  REQUIRE(actions.size() == 1);
  CHECK(as<action::AbandonRun>(actions[0]).id == 3);
  CHECK(t.running().empty());
  // Deployed at 09:00:05 and never run; the daemon was down over 09:00:10.
  Trigger fresh = every_10s(Concurrency::forbid);
  actions = fresh.resume({}, utc("2026-01-07 09:00:05"), utc("2026-01-07 09:00:12"));
  REQUIRE(actions.size() == 1);
  CHECK(as<action::MissedWhileDown>(actions[0]).count == 1);
}

TEST_CASE("trigger: a long outage is counted up to a bound") {
  Trigger t(*Schedule::parse("* * * * * *", "UTC"), Concurrency::forbid, true);
  auto actions = t.resume({}, utc("2026-01-05 00:00:00"), utc("2026-01-07 00:00:00"));
  REQUIRE(actions.size() == 2);
  const auto& missed = as<action::MissedWhileDown>(actions[0]);
  CHECK(missed.count == Trigger::kMaxCounted);
  CHECK(missed.more);
  CHECK(show(missed.last) == "2026-01-07 00:00:00");
  CHECK(show(as<action::StartRun>(actions[1]).scheduled) == "2026-01-07 00:00:00");
}

TEST_CASE("trigger: concurrency names") {
  CHECK(concurrency_from_string("forbid") == Concurrency::forbid);
  CHECK(concurrency_from_string("allow") == Concurrency::allow);
  CHECK(concurrency_from_string("replace") == Concurrency::replace);
  CHECK_FALSE(concurrency_from_string("Forbid").has_value());
  for (auto c : {Concurrency::forbid, Concurrency::allow, Concurrency::replace})
    CHECK(concurrency_from_string(to_string(c)) == c);
}
