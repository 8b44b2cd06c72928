#include <doctest/doctest.h>

#include "autoscaler/memory_budget.hpp"

using namespace svl::autoscaler;

namespace {
constexpr std::uint64_t MiB = 1 << 20;
}

TEST_CASE("memory budget evicts the lowest clock + frequency x cost / memory first") {
  MemoryBudget b(1024 * MiB);
  b.set_function(1, 256 * MiB, 0.27);
  b.set_function(2, 256 * MiB, 0.27);
  b.set_function(3, 512 * MiB, 0.27);
  for (int i = 0; i < 10; ++i) b.on_invocation(1);  // hot
  b.on_invocation(2);
  for (int i = 0; i < 4; ++i) b.on_invocation(3);  // 4 x 0.27 / 512 MiB: between the two
  CHECK(b.priority(2) < b.priority(3));
  CHECK(b.priority(3) < b.priority(1));
  for (FunctionId f : {1u, 2u, 3u}) b.set_idle_loaded(f, true);

  // 1024 held, 256 more needed: one 256 MiB victim is enough, the cheapest to lose.
  auto v = b.pick_victims(1024 * MiB, 256 * MiB, 99);
  REQUIRE(v.size() == 1);
  CHECK(v[0] == 2);
  CHECK(b.clock() > 0);  // the clock advanced to the victim's priority: later arrivals rank higher

  // Needs 512 more of 768 held: the next victim is 3, never the requester.
  v = b.pick_victims(768 * MiB, 768 * MiB, 1);
  REQUIRE(v.size() == 1);
  CHECK(v[0] == 3);
}

TEST_CASE("memory budget returns too few victims when nothing else is idle") {
  MemoryBudget b(512 * MiB);
  b.set_function(1, 512 * MiB, 0.27);
  b.set_function(2, 512 * MiB, 0.27);
  b.set_idle_loaded(1, true);
  CHECK(b.pick_victims(512 * MiB, 512 * MiB, 1).empty());  // only the requester is idle
  b.set_idle_loaded(1, false);
  CHECK(b.pick_victims(512 * MiB, 512 * MiB, 2).empty());  // 1 is busy now
}

TEST_CASE("memory budget counts invocations in bulk and forgets removed functions") {
  MemoryBudget b(512 * MiB);
  b.set_function(1, 256 * MiB, 0.27);
  b.set_function(2, 256 * MiB, 0.27);
  b.on_invocations(1, 5);
  for (int i = 0; i < 5; ++i) b.on_invocation(2);
  CHECK(b.priority(1) == doctest::Approx(b.priority(2)));
  b.on_invocations(2, 0);  // nothing new: unchanged
  CHECK(b.priority(1) == doctest::Approx(b.priority(2)));
  b.set_idle_loaded(1, true);
  b.set_idle_loaded(2, true);
  b.forget(1);
  auto v = b.pick_victims(512 * MiB, 256 * MiB, 99);
  REQUIRE(v.size() == 1);
  CHECK(v[0] == 2);  // 1 is gone: not a victim any more
}
