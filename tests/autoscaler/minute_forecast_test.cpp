#include <doctest/doctest.h>

#include "autoscaler/minute_forecast.hpp"
#include "test_time.hpp"

using namespace svl;
using namespace svl::autoscaler;
using namespace svl::autoscaler::test;

namespace {

// Calls at second 20 of every minute m (from 0 to `minutes`) for which `has_call(m)`.
template <typename F>
void feed_minutes(MinuteForecast& f, int minutes, F has_call) {
  for (int m = 0; m < minutes; ++m)
    if (has_call(m)) f.on_call(at(std::chrono::minutes(m) + 20s));
}

}  // namespace

TEST_CASE("minute forecast: a call every 5 minutes is predicted (by the gap or the 5-minute model)") {
  MinuteForecast f;
  feed_minutes(f, 600, [](int m) { return m % 5 == 0; });  // last call in minute 595
  f.advance(at(596min));
  const auto model = MinuteForecast::model_name(f.best_model());
  CHECK((model == "gap" || model == "every 5 min"));
  CHECK(f.informative(2));
  CHECK(f.probability(600) > 0.7);  // the next call's minute
  CHECK(f.probability(597) < 0.1);
  CHECK(f.probability(599) < 0.1);
}

TEST_CASE("minute forecast: a pattern inside a 15-minute cycle (minutes 0, 1, 4 and 6)") {
  MinuteForecast f;
  auto cron = [](int m) {
    const int p = m % 15;
    return p == 0 || p == 1 || p == 4 || p == 6;
  };
  feed_minutes(f, 900, cron);  // ends after minute 899 (phase 14)
  f.advance(at(900min));
  CHECK(f.informative(2));
  CHECK(MinuteForecast::model_name(f.best_model()) == "every 15 min");
  for (int m = 900; m < 915; ++m) {
    CAPTURE(m);
    if (cron(m))
      CHECK(f.probability(m) > 0.5);
    else
      CHECK(f.probability(m) < 0.15);
  }
}

TEST_CASE("minute forecast: calls in random minutes are not informative") {
  MinuteForecast f;
  std::uint32_t x = 12345;
  feed_minutes(f, 1440, [&](int) {
    x = x * 1103515245u + 12345u;
    return (x >> 16) % 3 == 0;  // a third of the minutes, no pattern
  });
  f.advance(at(1440min));
  CHECK_FALSE(f.informative(2));
}

TEST_CASE("minute forecast: after a long busy stretch, silent minutes are not predicted busy for long") {
  // Two hours with a call every minute, then silence: the gap-after-silence rate stays the prior,
  // and each silent minute that ends lowers the forecast.
  MinuteForecast f;
  feed_minutes(f, 120, [](int) { return true; });
  f.advance(at(125min));
  const double early = f.probability(126);
  f.advance(at(150min));
  CHECK(f.probability(151) < early);
  CHECK(f.probability(151) < 0.1);
}

TEST_CASE("minute forecast: a silence longer than its memory starts afresh without stale minutes") {
  MinuteForecast f;
  feed_minutes(f, 60, [](int m) { return m % 2 == 0; });
  // Ten days later: the ring of four days holds nothing from before.
  f.advance(at(std::chrono::minutes(60 + 10 * 1440)));
  const std::int64_t now = f.minute_of(at(std::chrono::minutes(60 + 10 * 1440)));
  for (std::int64_t m = now + 1; m < now + 6; ++m) CHECK(f.probability(m) < 0.2);
}

TEST_CASE("minute forecast: the phase aligns minutes with a clock that does not start on a minute") {
  MinuteForecast f(20s);  // minute boundaries at 40 s, 100 s, ... of the clock
  CHECK(f.minute_of(at(39s)) == 0);
  CHECK(f.minute_of(at(40s)) == 1);
  CHECK(f.minute_start(1) == at(40s));
}

TEST_CASE("minute forecast: after a year of silence the same schedule is learnt again") {
  MinuteForecast f;
  feed_minutes(f, 60, [](int m) { return m % 2 == 0; });
  const int restart = 60 + 365 * 1440;  // an even minute
  for (int m = restart; m < restart + 60; m += 2) f.on_call(at(std::chrono::minutes(m) + 20s));
  f.advance(at(std::chrono::minutes(restart + 59)));
  CHECK(f.informative(2));
  CHECK(f.probability(restart + 60) > 0.7);
  CHECK(f.probability(restart + 61) < 0.1);
}
