#pragma once
// The control plane's intake: every input (the gateway's callbacks, the runtime's events, the
// driver's outcomes, the tick, admin operations) reaches the reconcile core on the control
// thread, and the steps it returns go to the replica driver. One-way: controller -> core ->
// steps -> driver -> runtime; the driver's outcomes come back here as events.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>

#include "common/clock.hpp"
#include "gateway/gateway.hpp"
#include "orchestrator/control/reconciler.hpp"
#include "orchestrator/daemon/replica_driver.hpp"
#include "orchestrator/metrics/metrics.hpp"
#include "orchestrator/registry/registry.hpp"
#include "orchestrator/runtime/container_runtime.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator {

struct ControllerOptions {
  control::CoreOptions core;
  DriverOptions driver;
  std::uint16_t gateway_port = 8080;
  std::uint16_t tls_port = 0;  // the gateway's HTTPS port, for the URLs status shows; 0: TLS is off
  std::vector<std::string> domains{"localhost"};
  // Whether a TLS certificate covers a custom domain; a deploy with one it does not cover succeeds
  // with a warning. Null: TLS is off, nothing to warn about.
  std::function<bool(const std::string& domain)> certificate_covers{};
};

control::FunctionConfig config_of(const FunctionRecord& function);

class Controller {
public:
  Controller(boost::asio::io_context& ctl, ControllerOptions options, Registry& registry,
             runtime::ContainerRuntime& runtime, gateway::Gateway& gateway, Metrics& metrics, const Clock& clock);
  ~Controller();

  // Loads the registry, adopts this daemon's containers, removes its strays, starts watching the
  // runtime and the tick.
  boost::asio::awaitable<void> start();
  // Held requests are answered now (503, Retry-After); nothing more is started.
  void stop();
  bool stopping() const { return stopping_; }

  // From the gateway (any thread): posted onto the control thread.
  void capacity_needed(const std::string& function, std::size_t queued);
  void replica_drained(const std::string& function, const std::string& replica_id);
  void replica_unreachable(const std::string& function, const std::string& replica_id);

  nlohmann::json status(const std::string& name, bool detailed) const;  // null when unknown
  nlohmann::json list() const;
  std::vector<std::string> replica_container_ids(const std::string& name) const;
  bool docker_available() const { return core_.runtime_ok(); }

  // For the admin operations (admin_ops.hpp): the core, and carrying out what it decided.
  control::Reconciler& core() { return core_; }
  const ControllerOptions& options() const { return options_; }
  void run(control::Steps steps);

private:
  void on_outcome(control::OpKind kind, control::Outcome o);
  void on_event(control::RuntimeEvent e);
  void on_rollback(control::step::RollBack r);
  boost::asio::awaitable<void> resync();
  boost::asio::awaitable<void> tick_loop();
  void flush_usage();
  void publish_metrics(const std::string& name);
  control::Load load_of(const std::string& name) const;

  boost::asio::io_context& ctl_;
  ControllerOptions options_;
  Registry& registry_;
  runtime::ContainerRuntime& runtime_;
  gateway::Gateway& gateway_;
  Metrics& metrics_;
  const Clock& clock_;
  control::Reconciler core_;
  ReplicaDriver driver_;
  bool stopping_ = false;
  // Functions with a demand already posted: a burst of held requests (one capacity_needed each,
  // from the gateway's threads) becomes one decision that reads the latest queue.
  std::mutex demand_mu_;
  std::unordered_set<std::string> demand_posted_;
  boost::asio::steady_timer tick_timer_;
  TimePoint last_usage_flush_{};
};

}  // namespace svl::orchestrator
