// Cron runs in the registry: recorded, finished, listed newest first per trigger, trimmed to
// the newest kCronRunsKept, and kept across a reopen.
#include <doctest/doctest.h>

#include "orchestrator/registry/registry.hpp"
#include "tests/common/temp_dir.hpp"

using namespace svl::orchestrator;
using namespace std::chrono_literals;

namespace {

CronRun run_of(std::string trigger, std::int64_t id, WallTime at) {
  CronRun r;
  r.function = "api";
  r.trigger = std::move(trigger);
  r.run = id;
  r.scheduled = at;
  r.started = at + 3ms;
  return r;
}

}  // namespace

TEST_CASE("a cron run is recorded, finished, and read back after a reopen") {
  svl::test::TempDir dir;
  const WallTime t0 = WallTime(1767225600s);
  std::int64_t row = 0;
  {
    auto registry = open_registry(dir.path());
    REQUIRE(registry);
    auto added = (*registry)->add_cron_run(run_of("/tasks/cleanup", 1, t0));
    REQUIRE(added);
    row = *added;
    REQUIRE((*registry)->finish_cron_run(row, t0 + 2s, CronResult::failed, 500, std::string(2000, 'x')));
    CHECK((*registry)->finish_cron_run(row + 99, t0, CronResult::ok, 200, "").error().code == RegistryErrc::not_found);
    CronRun missed;
    missed.function = "api";
    missed.trigger = "/tasks/cleanup";
    missed.scheduled = t0 + 1min;
    missed.finished = t0 + 5min;
    missed.result = CronResult::missed;
    missed.count = 5;
    REQUIRE((*registry)->add_cron_run(missed));
    CHECK((*registry)->add_cron_run(CronRun{}).error().code == RegistryErrc::invalid);
  }
  auto registry = open_registry(dir.path());
  REQUIRE(registry);
  auto runs = (*registry)->cron_runs("api", 10);
  REQUIRE(runs);
  REQUIRE(runs->size() == 2);
  CHECK((*runs)[0].result == CronResult::missed);
  CHECK((*runs)[0].count == 5);
  CHECK_FALSE((*runs)[0].run);
  CHECK((*runs)[0].finished == t0 + 5min);
  const auto& r = (*runs)[1];
  CHECK(r.row == row);
  CHECK(r.run == 1);
  CHECK(r.result == CronResult::failed);
  CHECK(r.status == 500);
  CHECK(r.scheduled == t0);
  CHECK(r.started == t0 + 3ms);
  CHECK(r.finished == t0 + 2s);
  CHECK(r.detail.size() == kCronDetailBytes);  // the first bytes of the error
  CHECK((*registry)->cron_runs("other", 10)->empty());
}

TEST_CASE("each trigger keeps its newest kCronRunsKept runs, limit counts per trigger") {
  svl::test::TempDir dir;
  auto registry = open_registry(dir.path());
  REQUIRE(registry);
  const WallTime t0 = WallTime(1767225600s);
  for (std::int64_t i = 1; i <= static_cast<std::int64_t>(kCronRunsKept) + 5; ++i)
    REQUIRE((*registry)->add_cron_run(run_of("a", i, t0 + std::chrono::seconds(i))));
  REQUIRE((*registry)->add_cron_run(run_of("b", 1, t0)));
  auto all = (*registry)->cron_runs("api", kCronRunsKept);
  REQUIRE(all);
  CHECK(all->size() == kCronRunsKept + 1);
  CHECK(all->front().trigger == "b");  // newest first
  auto few = (*registry)->cron_runs("api", 3);
  REQUIRE(few->size() == 4);
  CHECK((*few)[1].run == static_cast<std::int64_t>(kCronRunsKept) + 5);
  CHECK((*few)[3].run == static_cast<std::int64_t>(kCronRunsKept) + 3);
  // The oldest five of "a" are gone.
  std::int64_t oldest = 1 << 30;
  for (const auto& r : *all)
    if (r.trigger == "a") oldest = std::min(oldest, *r.run);
  CHECK(oldest == 6);
}
