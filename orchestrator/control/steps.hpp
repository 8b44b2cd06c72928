#pragma once
// What the reconcile core asks for (steps) and what it is told back (outcomes). The core decides;
// the replica driver carries a step out over the container runtime or the gateway and reports
// its outcome as an event. Nothing here does I/O.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "gateway/gateway.hpp"
#include "orchestrator/control/replica_set.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::control {

// Names one operation on one slot: the outcome is applied only while the function still has this
// epoch (it was not removed and re-created) and the slot still this generation.
struct Op {
  std::string function;
  std::uint64_t epoch = 0;
  int slot = -1;
  std::uint64_t generation = 0;
  bool operator==(const Op&) const = default;
};
// The epoch of an operation of the spare pool (sandbox_pool.hpp): no function, its `slot` is the
// pool's own operation number.
inline constexpr std::uint64_t kPoolEpoch = ~std::uint64_t{0};
inline bool is_pool_op(const Op& op) { return op.function.empty() && op.epoch == kPoolEpoch; }

// What the runtime is asked to run. Runtime-neutral: a runtime without sandboxes ignores `home`.
struct ReplicaSpec {
  std::string name;
  std::string image;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> labels;
  std::string home;  // the sandbox whose network namespace it joins
  std::uint64_t memory_bytes = 0;
  double cpus = 0;
  std::int64_t pids = 0;
  bool init = true;  // the runtime's init as PID 1, so apps that ignore SIGTERM still stop
  std::chrono::seconds stop_grace{10};
  std::vector<std::string> binds;  // "host:container:ro", svl dev's mounts only
  std::string user;                // "uid:gid"; empty: the image's
  // [secrets] by name: the runtime fetches the values and writes the files (never the core).
  std::map<std::string, orchestrator::SecretMount> secrets;
  std::string function;  // whose revision's secrets these are
  long revision = 0;
  std::vector<std::string> cap_add;  // the only capabilities it has ([run] cap_add); none by default
};
struct SandboxSpec {
  std::string name;
  std::map<std::string, std::string> labels;
  int port = 0;  // the app's port, published by the sandbox (0: a spare of the pool, nothing published)
};

namespace step {
// Runtime.
struct CreateSandbox { Op op; SandboxSpec spec; };
struct CreateReplica { Op op; ReplicaSpec spec; };
struct Start { Op op; std::string id; };
struct Unpause { Op op; std::string id; };
struct Pause { Op op; std::string id; };
struct Stop { Op op; std::string id; bool paused = false; std::chrono::seconds grace{10}; };
struct Kill { Op op; std::string id; };
// Forced. `slot`: the replica and its sandbox, the slot goes; else the replica alone, or (no
// function in op) strays and orphans that nobody waits for.
struct Remove { Op op; std::vector<std::string> ids; bool slot = false; };
struct ReadLogs { Op op; std::string id; int lines = 20; };
// Gateway.
struct Probe { Op op; gateway::ReplicaEndpoint endpoint; std::string path; TimePoint deadline; };
struct Route { gateway::FunctionRoute route; };
struct Unroute { std::string function; };
struct Serve { std::string function; gateway::ReplicaEndpoint endpoint; };
struct Drain { std::string function; std::string replica; };
struct Unserve { std::string function; std::string replica; };
// Why held requests are answered now (for the metrics): the function is backing off after
// crashes, the runtime is away, or the daemon stops.
enum class HeldFailure { crash_loop, runtime_unavailable, shutting_down };
struct FailHeld { std::string function; HeldFailure why; std::string message; };
struct NotReady { std::string function; std::string reason; };  // "" clears
// Time: the core wants to be asked again (on_timer) at `at`.
struct Timer { std::string function; TimePoint at; };
// Records and signals.
struct ColdStart { std::string function; Tier from; double seconds = 0; };
struct Usage { std::string function; double container_seconds = 0; double byte_seconds = 0; };
struct ScaleEvent { std::string function; bool up = true; std::string reason; };
struct RollBack { std::string function; long to_revision = 0; };  // the registry's current goes back
struct Log { std::string line; };
// List the runtime's containers and adopt them again (the runtime was away; events may be lost).
struct Resync {};
}  // namespace step

using Step = std::variant<step::CreateSandbox, step::CreateReplica, step::Start, step::Unpause, step::Pause,
                          step::Stop, step::Kill, step::Remove, step::ReadLogs, step::Probe, step::Route,
                          step::Unroute, step::Serve, step::Drain, step::Unserve, step::FailHeld, step::NotReady,
                          step::Timer, step::ColdStart, step::Usage, step::ScaleEvent, step::RollBack, step::Log, step::Resync>;
using Steps = std::vector<Step>;

// How an operation went. `unavailable`: the runtime itself could not be reached or timed out
// (not the function's fault); `failed`: it answered no.
enum class Fault { none, not_found, conflict, unavailable, failed, cancelled };

// The outcome of a runtime step or a probe.
struct Outcome {
  Op op;
  Fault fault = Fault::none;
  std::string message;
  std::string id;              // create: the new container
  Reach reach;                 // create_sandbox: where its replicas are reached
  std::string text;            // read_logs
  bool ok() const { return fault == Fault::none; }
};

// A container the runtime reports on its own (the events stream).
struct RuntimeEvent {
  enum class Kind { exited, oom, destroyed };
  Kind kind = Kind::exited;
  std::string id;
  std::string function;
  int exit_code = -1;
};

// A container the runtime lists (start-up and resync).
struct Observed {
  std::string id;
  std::string name;
  std::map<std::string, std::string> labels;
  // created, running, paused, exited, dead, restarting, removing; or stopping: running, but a
  // stop of ours was under way (the runtime keeps that record)
  std::string state;
  Reach reach;  // sandboxes: where their replicas are reached, unknown when not found
  std::string home;      // replicas: the sandbox whose namespace it joined (HostConfig.NetworkMode)
  bool claimed = false;  // sandboxes: a replica was ever created in it (the runtime notes it)
};

// The gateway's load for one function, as the autoscaler reads it.
struct Load {
  std::uint32_t inflight = 0;
  std::uint32_t queued = 0;
  double concurrency_integral = 0;
  std::uint64_t requests_total = 0;
  TimePoint last_request_end{};
};

}  // namespace svl::control
