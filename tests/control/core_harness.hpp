#pragma once
// The reconcile core fed by hand: canned loads, outcomes given one by one, steps taken and
// checked. For the core's unit tests; no I/O, no sleeping.
#include <doctest/doctest.h>

#include <map>
#include <utility>

#include "orchestrator/control/reconciler.hpp"

namespace svl::test {

using namespace svl::control;
using namespace std::chrono_literals;

struct Harness {
  std::map<std::string, Load> loads;
  TimePoint now = TimePoint{} + 1000h;
  Reconciler core;

  Harness() : Harness(options()) {}
  explicit Harness(CoreOptions o) : core{std::move(o), [this](const std::string& fn) { return loads[fn]; }} {}

  static CoreOptions options() {
    CoreOptions o;
    o.instance = "test";
    o.stop_grace = 10s;
    return o;
  }
  static FunctionConfig config(const std::string& name, long revision = 1) {
    FunctionConfig c;
    c.name = name;
    c.revision = revision;
    c.image = "img";
    c.spec.name = name;
    c.spec.scale.policy = orchestrator::ScalePolicy::fixed;
    c.spec.scale.pause_after = std::nullopt;
    c.spec.scale.idle_timeout = 1s;
    c.spec.scale.remove_after = 1h;
    return c;
  }
  Steps out;
  Steps take() { return std::exchange(out, {}); }

  template <class S>
  static std::vector<S> all(const Steps& steps) {
    std::vector<S> v;
    for (const auto& s : steps)
      if (auto* x = std::get_if<S>(&s)) v.push_back(*x);
    return v;
  }
  template <class S>
  static S one(const Steps& steps) {
    auto v = all<S>(steps);
    REQUIRE(v.size() == 1);
    return v.front();
  }
  void done(OpKind kind, const Op& op, std::string id = {}, std::uint16_t port = 0, Fault fault = Fault::none) {
    Outcome o;
    o.op = op;
    o.id = std::move(id);
    o.reach.host_port = port;
    o.fault = fault;
    core.outcome(kind, o, now, out);
  }
  // A function with one ready replica in slot 0 (sandbox "sb", replica "r1").
  void ready_function(const std::string& fn) { ready_function(config(fn)); }
  void ready_function(const FunctionConfig& config) {
    const std::string fn = config.name;
    core.load(config, true, now, out);
    core.adopt({}, now, out);
    loads[fn].queued = 1;
    core.demand(fn, now, out);
    auto sandbox = one<step::CreateSandbox>(take());
    done(OpKind::create_sandbox, sandbox.op, "sb", 30000);
    auto create = one<step::CreateReplica>(take());
    done(OpKind::create_replica, create.op, "r1");
    auto start = one<step::Start>(take());
    done(OpKind::start, start.op);
    auto probe = one<step::Probe>(take());
    done(OpKind::probe, probe.op);
    REQUIRE(all<step::Serve>(take()).size() == 1);
    loads[fn].queued = 0;
  }
  // The ready function of ready_function() goes idle: drained, then (paused first, if the policy
  // pauses) its stop is under way. Returns that Stop, its outcome not given yet.
  step::Stop idle_until_stopping(const std::string& fn) {
    loads[fn].requests_total = 1;
    loads[fn].last_request_end = now;
    now += 5s;
    core.tick(now, out);
    REQUIRE(all<step::Drain>(take()).size() == 1);
    core.drained(fn, "r1", now, out);
    auto moves = take();
    auto stops = all<step::Stop>(moves);
    auto pauses = all<step::Pause>(moves);
    REQUIRE(stops.size() + pauses.size() == 1);
    if (!pauses.empty()) {  // paused first, then stopped at a later tick
      done(OpKind::pause, pauses[0].op);
      take();
      now += 1h;
      core.tick(now, out);
      stops = all<step::Stop>(take());
      REQUIRE(stops.size() == 1);
    }
    return stops[0];
  }
  const Slot& slot(const std::string& fn, int index = 0) { return *core.find(fn)->replicas().find_slot(index); }
};

}  // namespace svl::test
