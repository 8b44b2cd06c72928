#include "orchestrator/daemon/replica_driver.hpp"

#include "orchestrator/daemon/daemon_log.hpp"

#include "common/overloaded.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>

namespace svl::orchestrator {

namespace asio = boost::asio;
using asio::awaitable;
using namespace control;

namespace {

using svl::overloaded;

template <class T>
Outcome outcome_of(const Op& op, const runtime::Result<T>& r) {
  Outcome o;
  o.op = op;
  if (!r) {
    o.fault = r.error().fault;
    o.message = r.error().message;
  }
  return o;
}

RejectReason reject_reason(step::HeldFailure why) {
  switch (why) {
    case step::HeldFailure::crash_loop: return RejectReason::crash_loop;
    case step::HeldFailure::runtime_unavailable: return RejectReason::docker_unavailable;
    case step::HeldFailure::shutting_down: break;
  }
  return RejectReason::held_failed;
}

}  // namespace

ReplicaDriver::ReplicaDriver(asio::io_context& ctl, runtime::ContainerRuntime& runtime, gateway::Gateway& gateway,
                             Metrics& metrics, DriverOptions options, Sinks sinks)
    : ctl_(ctl), runtime_(runtime), gateway_(gateway), metrics_(metrics), options_(options), sinks_(std::move(sinks)) {}

ReplicaDriver::~ReplicaDriver() { stop(); }

void ReplicaDriver::stop() {
  stopped_ = true;
  for (auto& t : timers_) t.cancel();
}

void ReplicaDriver::run(Steps steps) {
  for (auto& s : steps) run_one(s);
}

// One coroutine per runtime operation; its outcome is reported unless the driver stopped.
template <class Body>
void ReplicaDriver::spawn(OpKind kind, Op op, Body body) {
  ++in_flight_;
  asio::co_spawn(ctl_, std::move(body), [this, kind, op](std::exception_ptr e, Outcome o) {
    --in_flight_;
    if (e) {
      o = Outcome{};
      o.op = op;
      o.fault = Fault::failed;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        o.message = ex.what();
      }
    }
    if (!stopped_) sinks_.outcome(kind, std::move(o));
  });
}

void ReplicaDriver::run_one(Step& step) {
  auto& rt = runtime_;
  std::visit(
      overloaded{
          [&](step::CreateSandbox& s) {
            spawn(OpKind::create_sandbox, s.op, [&rt, s]() -> awaitable<Outcome> {
              auto r = co_await rt.create_sandbox(s.spec);
              auto o = outcome_of(s.op, r);
              if (r) o.id = r->id, o.reach = r->reach;
              co_return o;
            });
          },
          [&](step::CreateReplica& s) {
            spawn(OpKind::create_replica, s.op, [&rt, s]() -> awaitable<Outcome> {
              auto r = co_await rt.create_replica(s.spec);
              auto o = outcome_of(s.op, r);
              if (r) o.id = *r;
              co_return o;
            });
          },
          [&](step::Start& s) {
            spawn(OpKind::start, s.op, [&rt, s]() -> awaitable<Outcome> { co_return outcome_of(s.op, co_await rt.start(s.id)); });
          },
          [&](step::Unpause& s) {
            spawn(OpKind::unpause, s.op, [&rt, s]() -> awaitable<Outcome> { co_return outcome_of(s.op, co_await rt.unpause(s.id)); });
          },
          [&](step::Pause& s) {
            spawn(OpKind::pause, s.op, [&rt, s]() -> awaitable<Outcome> { co_return outcome_of(s.op, co_await rt.pause(s.id)); });
          },
          [&](step::Stop& s) {
            spawn(OpKind::stop, s.op, [&rt, s]() -> awaitable<Outcome> {
              co_return outcome_of(s.op, co_await rt.stop(s.id, s.grace, s.paused));
            });
          },
          [&](step::Kill& s) {
            spawn(OpKind::kill, s.op, [&rt, s]() -> awaitable<Outcome> { co_return outcome_of(s.op, co_await rt.kill(s.id)); });
          },
          [&](step::Remove& s) {
            const OpKind kind = s.slot ? OpKind::remove_slot : OpKind::remove_replica;
            spawn(kind, s.op, [&rt, s]() -> awaitable<Outcome> { co_return outcome_of(s.op, co_await rt.remove(s.ids)); });
          },
          [&](step::ReadLogs& s) {
            spawn(OpKind::read_logs, s.op, [&rt, s]() -> awaitable<Outcome> {
              auto r = co_await rt.logs_tail(s.id, s.lines);
              auto o = outcome_of(s.op, r);
              if (r) o.text = *r;
              o.fault = Fault::none;  // a failure's logs are best effort: none is an answer too
              co_return o;
            });
          },
          [&](step::Probe& s) { spawn(OpKind::probe, s.op, probe(s)); },
          [&](step::Route& s) { gateway_.upsert_function(s.route); },
          [&](step::Unroute& s) { gateway_.remove_function(s.function); },
          [&](step::Serve& s) { gateway_.add_replica(s.function, s.endpoint); },
          [&](step::Drain& s) { gateway_.drain_replica(s.function, s.replica); },
          [&](step::Unserve& s) { gateway_.remove_replica(s.function, s.replica); },
          [&](step::FailHeld& s) {
            if (gateway_.load(s.function).queued == 0) return;
            gateway_.fail_held(s.function, 503, s.message);
            metrics_.rejected(s.function, reject_reason(s.why));
          },
          [&](step::NotReady& s) { gateway_.set_not_ready_reason(s.function, s.reason); },
          [&](step::Timer& s) {
            if (stopped_) return;
            auto& timer = timers_.emplace_back(ctl_);
            timer.expires_at(std::chrono::steady_clock::time_point(s.at.time_since_epoch()));
            auto it = std::prev(timers_.end());
            timer.async_wait([this, it, fn = s.function](const boost::system::error_code& ec) {
              timers_.erase(it);
              if (!ec && !stopped_) sinks_.timer(fn);
            });
          },
          [&](step::ColdStart& s) { metrics_.cold_start(s.function, s.from, s.seconds); },
          [&](step::Usage& s) { metrics_.usage(s.function, s.container_seconds, s.byte_seconds); },
          [&](step::ScaleEvent& s) {
            metrics_.scale_event(s.function, s.up ? ScaleDirection::up : ScaleDirection::down, s.reason);
          },
          [&](step::RollBack& s) { sinks_.rollback(s); },
          [&](step::Resync&) { sinks_.resync(); },
          [&](step::Log& s) { log(s.line); },
      },
      step);
}

awaitable<void> ReplicaDriver::idle() {
  asio::steady_timer timer(ctl_);
  while (in_flight_ > 0) {
    timer.expires_after(std::chrono::milliseconds(1));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// Readiness through the gateway's HTTP probe, in short rounds so that a replica that died (its
// operation no longer current) stops being probed at once.
awaitable<Outcome> ReplicaDriver::probe(step::Probe p) {
  Outcome o;
  o.op = p.op;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const auto deadline = std::chrono::steady_clock::time_point(p.deadline.time_since_epoch());
    if (stopped_ || !sinks_.current(p.op) || now >= deadline) {
      o.fault = Fault::failed;
      o.message = "not ready before the deadline";
      co_return o;
    }
    const auto round_end = std::min(deadline, now + options_.probe_round);
    auto ready = co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
        [this, &p, round_end](auto handler) {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          gateway_.probe_ready(p.endpoint, p.path, options_.probe_interval, round_end,
                               [this, shared](bool ok, std::string) {
                                 asio::post(ctl_, [shared, ok]() mutable { (*shared)(ok); });
                               });
        },
        asio::use_awaitable);
    if (ready) co_return o;
  }
}

}  // namespace svl::orchestrator
