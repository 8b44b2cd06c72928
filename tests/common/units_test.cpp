#include <doctest/doctest.h>

#include "common/clock.hpp"
#include "common/units.hpp"

using namespace std::chrono_literals;

TEST_CASE("durations parse with units and reject what they cannot read") {
  CHECK(std::get<std::chrono::milliseconds>(svl::parse_duration("250ms")) == 250ms);
  CHECK(std::get<std::chrono::milliseconds>(svl::parse_duration("30s")) == 30s);
  CHECK(std::get<std::chrono::milliseconds>(svl::parse_duration("1h30m")) == 90min);
  CHECK(std::get<std::chrono::milliseconds>(svl::parse_duration("1.5s")) == 1500ms);
  CHECK(std::get<std::chrono::milliseconds>(svl::parse_duration("0s")) == 0ms);
  auto missing = svl::parse_duration("30");
  REQUIRE(std::holds_alternative<svl::ParseError>(missing));
  CHECK(std::get<svl::ParseError>(missing).message.find("missing unit") != std::string::npos);
  CHECK(std::holds_alternative<svl::ParseError>(svl::parse_duration("10x")));
  CHECK(std::holds_alternative<svl::ParseError>(svl::parse_duration("")));
  CHECK(std::holds_alternative<svl::ParseError>(svl::parse_duration("s")));
}

TEST_CASE("off is a duration only where the caller allows it") {
  auto off = svl::parse_duration_or_off("off");
  REQUIRE(std::holds_alternative<std::optional<std::chrono::milliseconds>>(off));
  CHECK_FALSE(std::get<std::optional<std::chrono::milliseconds>>(off).has_value());
  CHECK(std::holds_alternative<svl::ParseError>(svl::parse_duration("off")));
}

TEST_CASE("sizes accept binary and Docker-style suffixes") {
  CHECK(std::get<std::uint64_t>(svl::parse_size("256MiB")) == 256ull << 20);
  CHECK(std::get<std::uint64_t>(svl::parse_size("1g")) == 1ull << 30);
  CHECK(std::get<std::uint64_t>(svl::parse_size("1.5GiB")) == 3ull << 29);
  CHECK(std::get<std::uint64_t>(svl::parse_size("100")) == 100);
  CHECK(std::holds_alternative<svl::ParseError>(svl::parse_size("12 parsecs")));
  CHECK(std::holds_alternative<svl::ParseError>(svl::parse_size("MiB")));
  CHECK(svl::format_size(256ull << 20) == "256MiB");
  CHECK(svl::format_duration(10min) == "10m");
}

TEST_CASE("a manual clock moves only when told") {
  svl::ManualClock clock;
  auto t0 = clock.now();
  clock.advance(5s);
  CHECK(clock.now() - t0 == 5s);
}
