// svl dev's side of the core: a dev function keeps a replica ready, mounts its folders, and a
// restart drains, kills and starts the same container while requests are held.
#include <doctest/doctest.h>

#include "orchestrator/control/container_specs.hpp"
#include "tests/control/core_harness.hpp"

using namespace svl;
using namespace svl::control;
using namespace std::chrono_literals;
using svl::test::Harness;

namespace {

FunctionConfig dev_config(const std::string& name) {
  auto c = Harness::config(name);
  c.dev = true;
  c.source_dir = "/home/me/api";
  c.dev_user = "1000:1000";
  c.spec.dev.mount = {{"src", "/app/src"}, {"./lib/", "/app/lib"}};
  return c;
}

}  // namespace

TEST_CASE("a dev function's replicas bind-mount its folders read-only, any other deploy ignores [dev.mount]") {
  auto c = dev_config("api");
  Slot s;
  const auto spec = replica_spec_for(c, Harness::options(), s);
  CHECK(spec.binds == std::vector<std::string>{"/home/me/api/lib:/app/lib:ro", "/home/me/api/src:/app/src:ro"});
  CHECK(spec.user == "1000:1000");
  c.dev = false;
  CHECK(replica_spec_for(c, Harness::options(), s).binds.empty());
  CHECK(replica_spec_for(c, Harness::options(), s).user.empty());
}

TEST_CASE("a dev function keeps one replica whatever its min, and is never idled") {
  Harness h;
  h.ready_function(dev_config("api"));
  CHECK(h.core.find("api")->effective_min() == 1);
  h.loads["api"].requests_total = 1;
  h.loads["api"].last_request_end = h.now;
  h.take();
  for (int i = 0; i < 30; ++i) {
    h.now += 1s;
    h.core.tick(h.now, h.out);
  }
  const auto steps = h.take();
  CHECK(Harness::all<step::Drain>(steps).empty());
  CHECK(Harness::all<step::Stop>(steps).empty());
  CHECK(h.slot("api").phase == Phase::ready);
}

TEST_CASE("restart: drain, kill, start the same container, probe, serve, a request meanwhile waits for it") {
  Harness h;
  h.ready_function(dev_config("api"));
  REQUIRE(h.core.restart("api", h.now, h.out));
  auto drain = Harness::one<step::Drain>(h.take());
  CHECK(drain.replica == "r1");
  CHECK(h.slot("api").phase == Phase::draining);

  // A request arrives during the swap: held, and no second slot is made for it.
  h.loads["api"].queued = 1;
  h.core.demand("api", h.now, h.out);
  CHECK(Harness::all<step::CreateSandbox>(h.take()).empty());

  h.core.drained("api", "r1", h.now, h.out);
  auto steps = h.take();
  CHECK(Harness::all<step::Unserve>(steps).size() == 1);
  auto kill = Harness::one<step::Kill>(steps);
  CHECK(kill.id == "r1");
  h.done(OpKind::kill, kill.op);
  auto start = Harness::one<step::Start>(h.take());
  CHECK(start.id == "r1");
  h.done(OpKind::start, start.op);
  auto probe = Harness::one<step::Probe>(h.take());
  h.done(OpKind::probe, probe.op);
  steps = h.take();
  CHECK(Harness::all<step::Serve>(steps).size() == 1);
  CHECK(Harness::all<step::FailHeld>(steps).empty());
  CHECK(h.slot("api").phase == Phase::ready);
  CHECK(h.core.find("api")->replicas().slots().size() == 1);
  CHECK_FALSE(h.core.restart("missing", h.now, h.out));
}
