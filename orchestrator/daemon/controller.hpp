#pragma once
// The control plane: owns every function's replicas and drives Docker to match what the
// registry and the autoscaler want. Runs on one thread (its io_context); the gateway's
// callbacks are posted onto it, Docker calls run on the Docker client's worker pool.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>

#include "autoscaler/function_autoscaler.hpp"
#include "autoscaler/memory_budget.hpp"
#include "common/clock.hpp"
#include "gateway/gateway.hpp"
#include "orchestrator/daemon/replica_set.hpp"
#include "orchestrator/docker/async_client.hpp"
#include "orchestrator/docker/event_watcher.hpp"
#include "orchestrator/metrics/metrics.hpp"
#include "orchestrator/registry/registry.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator {

struct ControllerOptions {
  std::string instance;            // label value marking this daemon's containers (its state dir)
  std::string sandbox_image;       // built at start from svl-pause
  std::string extra_label;         // "key=value" added to every container (tests: svl.test=<run>)
  std::chrono::milliseconds tick{1000};
  std::chrono::milliseconds probe_interval{2};
  // After a cheap wake (unpause/start) that took every held request, further wakes wait this
  // long: starting containers while the released burst is being answered slows that burst on a
  // small box (docs/daemon.md). Requests still held (container_concurrency reached) scale out at once.
  std::chrono::milliseconds burst_settle{250};
  std::chrono::seconds stop_grace{10};
  // Memory for all replicas together (their [resources] memory limits), or none. Past it, idle
  // replicas of other functions are stopped in FaasCache order (autoscaler/memory_budget.hpp).
  std::optional<std::uint64_t> memory_budget;
  // A slot beyond a function's first (or its min) whose replica has been stopped or removed this
  // long is removed with its sandbox: a kept slot costs ~17 MB of host memory at zero (the
  // sandbox's containerd shim and docker-proxy), worth it for the next wake but not forever.
  // The last one goes too once the policy has removed its replica (the "removed" tier).
  std::chrono::milliseconds idle_slot_ttl{std::chrono::minutes(10)};
  std::string gateway_host = "127.0.0.1";
  std::uint16_t gateway_port = 8080;
  std::vector<std::string> domains{"localhost"};
  docker::ClientOptions docker;    // for the events stream's own client
};

// What a deploy (svl up) gets back.
struct DeployOutcome {
  long revision = 0;
  bool created = false;  // false: the spec and image were unchanged, no new revision
};

// Errors the admin API maps to HTTP statuses; the message names the problem.
struct ControlError {
  unsigned status;
  std::string message;
  nlohmann::json details = nullptr;
};

class Controller {
public:
  Controller(boost::asio::io_context& ctl, ControllerOptions options, Registry& registry,
             docker::AsyncClient& docker, gateway::Gateway& gateway, Metrics& metrics, const Clock& clock);
  ~Controller();

  // Builds the sandbox image if needed, adopts this daemon's running containers, removes its
  // strays, starts the events stream and the autoscaler tick.
  boost::asio::awaitable<void> start();
  void stop();

  // From the gateway (any thread): posted onto the control thread.
  void capacity_needed(const std::string& function, std::size_t queued);
  void replica_drained(const std::string& function, const std::string& replica_id);
  void replica_unreachable(const std::string& function, const std::string& replica_id);

  // Admin operations (control thread). Each returns a ControlError instead of throwing.
  boost::asio::awaitable<std::variant<DeployOutcome, ControlError>> deploy(FunctionSpec spec, std::string image,
                                                                           std::string source_dir, bool force);
  // Waits until a replica of `revision` (0: current) is ready, or reports why it cannot be.
  boost::asio::awaitable<std::optional<ControlError>> wait_ready(std::string name, long revision,
                                                                 std::chrono::milliseconds timeout);
  boost::asio::awaitable<std::optional<ControlError>> remove(std::string name);
  std::variant<long, ControlError> rollback(const std::string& name, std::optional<long> revision);
  std::variant<nlohmann::json, ControlError> set_scale(const std::string& name, std::optional<long> min,
                                                       std::optional<long> max);

  nlohmann::json status(const std::string& name, bool detailed) const;  // null when unknown
  nlohmann::json list() const;
  std::vector<std::string> replica_container_ids(const std::string& name) const;
  bool docker_available() const { return docker_ok_; }

private:
  struct FunctionState;
  FunctionState* find(const std::string& name);
  const FunctionState* find(const std::string& name) const;

  void load_function(const FunctionRecord& record);
  void apply_revision(FunctionState& f, const Revision& rev);
  gateway::FunctionRoute route_of(const FunctionState& f) const;

  // Scaling.
  void on_demand(const std::string& name);
  void remember(FunctionState& f, const autoscaler::FunctionDecision& decision);
  void scale_to(FunctionState& f, std::uint32_t desired, std::string_view reason);
  void retire(FunctionState& f, Slot& slot);
  bool first_wake_in_flight(const FunctionState& f) const;
  // The memory budget: what replicas hold now, and room for `need` more bytes for `f` (or for
  // nobody: back within the budget), made by stopping idle replicas of other functions when
  // `evict` (else only checked).
  std::uint64_t held_bytes() const;
  bool make_room(FunctionState* f, std::uint64_t need, bool evict);
  void evict(FunctionState& victim);
  void trim_idle_slots(FunctionState& f, TimePoint now);
  void apply_idle_tier(FunctionState& f, TimePoint now);
  boost::asio::awaitable<void> tick_loop();
  void tick(TimePoint now);

  // The wake path and idle transitions (each re-finds its function and slot after every await).
  boost::asio::awaitable<void> wake(std::string name, std::uint64_t epoch, ReplicaSet::Wake plan, long revision);
  boost::asio::awaitable<void> settle_then_scale(std::string name, std::uint64_t epoch);
  // Removes the slot's replica and sandbox and forgets the slot; a slot whose sandbox still
  // serves is kept (for a later try) when Docker could not remove them.
  boost::asio::awaitable<void> remove_slot(std::string name, std::uint64_t epoch, int slot_index);
  // Force-removes the containers (empty ids skipped); true when every one is gone.
  boost::asio::awaitable<bool> remove_containers(std::vector<std::string> ids);
  // Creates a container; one of the same name left by a crash of ours is removed first.
  boost::asio::awaitable<docker::Result<std::string>> create_replacing(docker::ContainerSpec spec);
  boost::asio::awaitable<bool> ensure_sandbox(std::string name, std::uint64_t epoch, int slot_index);
  boost::asio::awaitable<bool> probe(std::string name, std::uint64_t epoch, int slot_index, TimePoint deadline);
  boost::asio::awaitable<void> after_drain(std::string name, std::uint64_t epoch, int slot_index);
  boost::asio::awaitable<void> move_idle(std::string name, std::uint64_t epoch, int slot_index, autoscaler::Tier tier);
  void replica_failed(FunctionState& f, Slot& slot, std::string reason);
  boost::asio::awaitable<std::string> logs_tail(std::string container_id, int lines);

  // Docker's view.
  boost::asio::awaitable<void> ensure_sandbox_image();
  boost::asio::awaitable<void> adopt();
  void on_docker_event(const docker::Event& event);
  void docker_failed(const docker::Error& error);
  bool docker_down(FunctionState& f, Slot& slot, const docker::Error& error, ReplicaPhase back);

  docker::Labels labels_for(const FunctionState& f, int slot, const char* role) const;
  void publish_metrics(FunctionState& f);
  void flush_usage(TimePoint now);

  boost::asio::io_context& ctl_;
  ControllerOptions options_;
  Registry& registry_;
  docker::AsyncClient& docker_;
  gateway::Gateway& gateway_;
  Metrics& metrics_;
  const Clock& clock_;
  std::map<std::string, std::unique_ptr<FunctionState>> functions_;
  std::uint64_t next_epoch_ = 1;
  bool docker_ok_ = true;
  bool stopping_ = false;
  // Functions with an on_demand already posted: a burst of held requests (one capacity_needed
  // each, from the gateway's threads) becomes one decision that reads the latest queue.
  std::mutex demand_mu_;
  std::unordered_set<std::string> demand_posted_;
  std::optional<autoscaler::MemoryBudget> budget_;
  autoscaler::FunctionId next_budget_id_ = 1;
  std::unique_ptr<docker::EventWatcher> events_;
  boost::asio::steady_timer tick_timer_;
  TimePoint last_usage_flush_{};
};

}  // namespace svl::orchestrator
