#pragma once
// What the control plane needs of a container engine, as awaitable operations with typed
// errors. Docker is one implementation (docker_runtime.hpp), the tests' fake another; a service-
// level runtime (Swarm: replica counts, tasks with a node and a port, no pause) fits behind it
// too: it reports what it cannot do in capabilities(), and a runtime without sandboxes makes
// create_sandbox a placement that owns the endpoint, with create_replica joining it.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "orchestrator/control/steps.hpp"

namespace svl::runtime {

using control::Fault;

// Why an operation failed, as the control plane branches on it.
struct Error {
  Fault fault = Fault::failed;
  std::string message;
};
template <class T>
using Result = svl::Result<T, Error>;
using Status = Result<void>;

struct Sandbox {
  std::string id;
  control::Reach reach;  // where the gateway reaches the replicas it holds
};

struct Capabilities {
  bool pause = true;      // a paused tier (the cgroup freezer)
  bool sandboxes = true;  // homes that outlive their replicas
  // A sandbox that publishes nothing is a bare network namespace, tied to no function: the core
  // keeps a pool of spares any function's new slot can take (control/sandbox_pool.hpp). The
  // runtime then notes each sandbox a replica is created in (Observed::claimed), so a restarted
  // daemon never hands a used one to another function.
  bool shared_sandboxes = false;
};

// What the runtime reports on its own: deaths of its containers, and a reconnect after which
// the caller should list again (events may have been missed).
struct EventSink {
  std::function<void(control::RuntimeEvent)> on_event;
  std::function<void()> on_resync;
  std::function<void(std::string)> on_lost;  // the runtime became unreachable
};

class ContainerRuntime {
public:
  virtual ~ContainerRuntime() = default;
  virtual Capabilities capabilities() const = 0;

  // Made and started, its endpoint known; nothing of it is left behind on failure.
  virtual boost::asio::awaitable<Result<Sandbox>> create_sandbox(control::SandboxSpec spec) = 0;
  // Created, not started. A leftover of the same name (a crash of ours) is replaced.
  virtual boost::asio::awaitable<Result<std::string>> create_replica(control::ReplicaSpec spec) = 0;
  virtual boost::asio::awaitable<Status> start(std::string id) = 0;
  virtual boost::asio::awaitable<Status> pause(std::string id) = 0;
  virtual boost::asio::awaitable<Status> unpause(std::string id) = 0;
  // SIGTERM, then SIGKILL after `grace`. A paused container is thawed first.
  virtual boost::asio::awaitable<Status> stop(std::string id, std::chrono::seconds grace, bool paused) = 0;
  virtual boost::asio::awaitable<Status> kill(std::string id) = 0;
  // Forced; one that is already gone counts as removed.
  virtual boost::asio::awaitable<Status> remove(std::vector<std::string> ids) = 0;
  // Every container of this instance.
  virtual boost::asio::awaitable<Result<std::vector<control::Observed>>> list() = 0;
  virtual boost::asio::awaitable<Result<std::string>> logs_tail(std::string id, int lines) = 0;
  // The image's id ("sha256:..."), not_found when the engine has no such image.
  virtual boost::asio::awaitable<Result<std::string>> image_id(std::string reference) = 0;

  // Starts reporting to `sink` (from any thread: the sink posts to its own executor).
  virtual void watch(EventSink sink) = 0;
  virtual void stop_watching() = 0;
};

}  // namespace svl::runtime
