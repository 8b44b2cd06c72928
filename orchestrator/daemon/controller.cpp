#include "orchestrator/daemon/controller.hpp"

#include "orchestrator/daemon/daemon_log.hpp"

#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>

#include "orchestrator/daemon/status_view.hpp"

namespace svl::orchestrator {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

control::FunctionConfig config_of(const FunctionRecord& f) {
  const Revision& rev = f.current;
  control::FunctionConfig c{f.name,         rev.number,     rev.spec,           rev.image_id,
                            f.min_override, f.max_override, f.lease.has_value(), rev.source_dir, ""};
  // The image's user may not be allowed to read the mounted folders: run as their owner.
  struct stat st {};
  if (c.dev && ::stat(rev.source_dir.c_str(), &st) == 0) c.dev_user = std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
  return c;
}

namespace {

// The spare pool where the runtime's sandboxes are tied to no function (the netns data path).
ControllerOptions with_pool(ControllerOptions options, const runtime::ContainerRuntime& runtime) {
  options.core.sandbox_pool = runtime.capabilities().shared_sandboxes;
  return options;
}

}  // namespace

Controller::Controller(asio::io_context& ctl, ControllerOptions options, Registry& registry,
                       runtime::ContainerRuntime& runtime, gateway::Gateway& gateway, Metrics& metrics, const Clock& clock)
    : ctl_(ctl),
      options_(with_pool(std::move(options), runtime)),
      registry_(registry),
      runtime_(runtime),
      gateway_(gateway),
      metrics_(metrics),
      clock_(clock),
      core_(options_.core, [this](const std::string& fn) { return load_of(fn); }),
      driver_(ctl, runtime, gateway, metrics, options_.driver,
              ReplicaDriver::Sinks{
                  [this](control::OpKind k, control::Outcome o) { on_outcome(k, std::move(o)); },
                  [this](std::string fn) {
                    control::Steps out;
                    core_.timer(fn, clock_.now(), out);
                    run(std::move(out));
                  },
                  [this](control::step::RollBack r) { on_rollback(std::move(r)); },
                  [this] { asio::co_spawn(ctl_, resync(), asio::detached); },
                  [this](const control::Op& op) {
                    const auto* f = core_.find(op.function);
                    const auto* s = f && f->epoch() == op.epoch ? f->replicas().find_slot(op.slot) : nullptr;
                    return s && s->generation == op.generation;
                  }}),
      tick_timer_(ctl) {}

Controller::~Controller() {
  stop();
  runtime_.stop_watching();
}

control::Load Controller::load_of(const std::string& name) const {
  auto l = gateway_.load(name);
  return control::Load{l.inflight, l.queued, l.concurrency_integral, l.requests_total, l.last_request_end};
}

void Controller::run(control::Steps steps) {
  std::unordered_set<std::string> touched;
  for (const auto& s : steps)
    std::visit([&](const auto& st) {
      if constexpr (requires { st.op.function; }) touched.insert(st.op.function);
      else if constexpr (requires { st.function; }) touched.insert(st.function);
    }, s);
  driver_.run(std::move(steps));
  for (const auto& name : touched) publish_metrics(name);
}

awaitable<void> Controller::start() {
  auto records = registry_.list_functions();
  if (!records) throw std::runtime_error("registry: " + records.error().message);
  control::Steps out;
  for (const auto& r : *records) {
    metrics_.register_function(r.name);
    core_.load(config_of(r), true, clock_.now(), out);
  }
  run(std::move(out));
  co_await resync();
  co_await driver_.idle();  // strays are gone before the daemon says it is ready
  runtime_.watch(runtime::EventSink{
      [this](control::RuntimeEvent e) { asio::post(ctl_, [this, e = std::move(e)] { on_event(e); }); },
      [this] {
        asio::post(ctl_, [this] {
          metrics_.events_reconnect();
          log("Docker events stream reconnected; resynchronising");
          asio::co_spawn(ctl_, resync(), asio::detached);
        });
      },
      [this](std::string message) {
        asio::post(ctl_, [this, message] {
          control::Steps out;
          core_.runtime_unavailable(message, out);
          run(std::move(out));
        });
      }});
  asio::co_spawn(ctl_, tick_loop(), asio::detached);
}

awaitable<void> Controller::resync() {
  auto listed = co_await runtime_.list();
  if (stopping_) co_return;
  control::Steps out;
  if (!listed) core_.runtime_unavailable(listed.error().message, out);
  else core_.adopt(*listed, clock_.now(), out);
  run(std::move(out));
}

void Controller::stop() {
  if (stopping_) return;
  stopping_ = true;
  tick_timer_.cancel();
  control::Steps out;
  core_.shutdown(out);
  run(std::move(out));
  driver_.stop();
  runtime_.stop_watching();
}

void Controller::capacity_needed(const std::string& function, std::size_t) {
  {
    std::lock_guard lock(demand_mu_);
    if (!demand_posted_.insert(function).second) return;
  }
  asio::post(ctl_, [this, function] {
    {
      std::lock_guard lock(demand_mu_);
      demand_posted_.erase(function);
    }
    if (stopping_) {
      gateway_.fail_held(function, 503, "svl is shutting down; retry shortly");
      return;
    }
    control::Steps out;
    core_.demand(function, clock_.now(), out);
    run(std::move(out));
  });
}

void Controller::replica_drained(const std::string& function, const std::string& replica_id) {
  asio::post(ctl_, [this, function, replica_id] {
    if (stopping_) return;
    control::Steps out;
    core_.drained(function, replica_id, clock_.now(), out);
    run(std::move(out));
  });
}

void Controller::replica_unreachable(const std::string& function, const std::string& replica_id) {
  asio::post(ctl_, [this, function, replica_id] {
    if (stopping_) return;
    control::Steps out;
    core_.unreachable(function, replica_id, clock_.now(), out);
    run(std::move(out));
  });
}

void Controller::on_outcome(control::OpKind kind, control::Outcome o) {
  if (stopping_) return;
  control::Steps out;
  core_.outcome(kind, o, clock_.now(), out);
  run(std::move(out));
}

void Controller::on_event(control::RuntimeEvent e) {
  if (stopping_) return;
  control::Steps out;
  core_.event(e, clock_.now(), out);
  run(std::move(out));
}

void Controller::on_rollback(control::step::RollBack r) {
  const auto* f = core_.find(r.function);
  if (!f) return;
  const long bad = f->revision();
  auto back = registry_.rollback(r.function, r.to_revision);
  if (!back) {
    log("could not roll back " + r.function + ": " + back.error().message);
    return;
  }
  control::Steps out;
  core_.apply(config_of(*back), clock_.now(), out);
  log("revision " + std::to_string(bad) + " of " + r.function + " failed; revision " +
      std::to_string(back->current.number) + " keeps serving");
  out.push_back(control::step::Timer{r.function, clock_.now()});  // held requests go to the old revision
  run(std::move(out));
}

awaitable<void> Controller::tick_loop() {
  while (!stopping_) {
    tick_timer_.expires_after(options_.core.tick);
    boost::system::error_code ec;
    co_await tick_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec || stopping_) co_return;
    try {
      control::Steps out;
      core_.schedule(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()), clock_.now(), out);
      core_.tick(clock_.now(), out);
      run(std::move(out));
      for (const auto& [name, f] : core_.functions()) {
        auto l = gateway_.load(name);
        metrics_.set_load(name, l.inflight, l.queued);
      }
      if (clock_.now() - last_usage_flush_ >= std::chrono::seconds(10)) flush_usage();
    } catch (const std::exception& e) {
      log(std::string("tick failed: ") + e.what());
    }
  }
}

void Controller::flush_usage() {
  last_usage_flush_ = clock_.now();
  for (const auto& [name, fp] : core_.functions()) {
    auto& meter = core_.find(name)->usage();
    const auto d = meter.take();
    if (d.empty()) continue;
    UsageCounters delta;
    delta.requests = d.requests;
    delta.container_seconds = d.container_seconds;
    delta.gb_seconds = d.gb_seconds;
    delta.cold_starts_paused = d.cold_starts[0];
    delta.cold_starts_stopped = d.cold_starts[1];
    delta.cold_starts_removed = d.cold_starts[2];
    if (auto st = registry_.add_usage(name, delta, std::chrono::system_clock::now()); !st) {
      log("could not record usage of " + name + ": " + st.error().message);
      meter.restore(d);
    }
  }
}

void Controller::publish_metrics(const std::string& name) {
  const auto* f = core_.find(name);
  if (!f) return;
  // Idempotent. A function deployed while the daemon runs gets its series here, else its
  // requests would be counted as function="_unknown" until the next start.
  metrics_.register_function(name);
  auto c = f->replicas().counts();
  metrics_.set_replicas(name, ReplicaState::starting, c.starting);
  metrics_.set_replicas(name, ReplicaState::ready, c.ready);
  metrics_.set_replicas(name, ReplicaState::draining, c.draining);
  metrics_.set_replicas(name, ReplicaState::paused, c.paused);
  metrics_.set_replicas(name, ReplicaState::stopped, c.stopped + c.stopping);
  metrics_.set_desired(name, f->desired(), f->panic());
}

// ---- views -------------------------------------------------------------

nlohmann::json Controller::status(const std::string& name, bool detailed) const {
  const auto* f = core_.find(name);
  if (!f) return nullptr;
  StatusContext ctx{options_.core.gateway_host, options_.gateway_port, options_.domains, clock_.now(),
                    options_.tls_port};
  return function_status(*f, gateway_.load(name), ctx, detailed ? &registry_ : nullptr);
}

nlohmann::json Controller::list() const {
  nlohmann::json out{{"functions", nlohmann::json::array()}};
  for (const auto& [name, f] : core_.functions()) out["functions"].push_back(status(name, false));
  return out;
}

std::vector<std::string> Controller::replica_container_ids(const std::string& name) const {
  std::vector<std::string> ids;
  if (const auto* f = core_.find(name))
    for (const auto& s : f->replicas().slots())
      if (!s.replica_id.empty()) ids.push_back(s.replica_id);
  return ids;
}

}  // namespace svl::orchestrator
