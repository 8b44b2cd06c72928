#pragma once
// ContainerRuntime over Docker's Engine API: calls run on the AsyncClient's worker pool and
// complete on the caller's executor; the events stream runs on its own thread.
#include <filesystem>
#include <memory>

#include "orchestrator/docker/async_client.hpp"
#include "orchestrator/docker/event_watcher.hpp"
#include "orchestrator/runtime/container_runtime.hpp"
#include "orchestrator/runtime/image_owners.hpp"
#include "orchestrator/secrets/secret_files.hpp"

namespace svl::runtime {

struct DockerRuntimeOptions {
  std::string instance;        // label value of this daemon's containers
  std::string sandbox_image;   // built at start from svl-pause
  docker::ClientOptions events_client;  // the events stream's own client
  // Where stops in progress are written down. Docker shows a container in its stop grace as
  // running: without this a daemon restarted mid-stop would adopt it as ready, and its
  // requests would fail when the grace ends. Empty: not recorded.
  std::filesystem::path stopping_dir;
  // Sandboxes publish nothing on the host: the gateway reaches replicas inside the sandbox's
  // network namespace (control::Reach::netns). Off: each sandbox publishes the app's port on
  // 127.0.0.1 (the fallback where svl cannot enter namespaces: daemon.cpp chooses).
  bool netns = false;
  // Where the sandboxes replicas were created in are written down (Observed::claimed). Empty:
  // not recorded.
  std::filesystem::path claimed_dir;
  // A replica's [secrets] before its create, on a Docker worker thread (it reads the registry and
  // writes files): the folder bound at /run/secrets and the env values, owned by the replica's
  // user (a name resolved in the image's /etc/passwd). Unset: a replica that names secrets fails to create.
  std::function<Result<secrets::Snapshot>(const control::ReplicaSpec&, const secrets::Owner& owner)> secrets;
  // svl's bridge network (enable_icc=false) that sandboxes join; "" leaves Docker's default bridge.
  std::string network;
};

class DockerRuntime final : public ContainerRuntime {
public:
  DockerRuntime(docker::AsyncClient& pool, DockerRuntimeOptions options);
  ~DockerRuntime() override;

  Capabilities capabilities() const override { return {.shared_sandboxes = options_.netns}; }
  boost::asio::awaitable<Result<Sandbox>> create_sandbox(control::SandboxSpec spec) override;
  boost::asio::awaitable<Result<std::string>> create_replica(control::ReplicaSpec spec) override;
  boost::asio::awaitable<Status> start(std::string id) override;
  boost::asio::awaitable<Status> pause(std::string id) override;
  boost::asio::awaitable<Status> unpause(std::string id) override;
  boost::asio::awaitable<Status> stop(std::string id, std::chrono::seconds grace, bool paused) override;
  boost::asio::awaitable<Status> kill(std::string id) override;
  boost::asio::awaitable<Status> remove(std::vector<std::string> ids) override;
  boost::asio::awaitable<Result<std::vector<control::Observed>>> list() override;
  boost::asio::awaitable<Result<std::string>> logs_tail(std::string id, int lines) override;
  boost::asio::awaitable<Result<std::string>> image_id(std::string reference) override;
  void watch(EventSink sink) override;
  void stop_watching() override;

  // How a Docker error reads to the control plane.
  static Fault fault_of(const docker::Error& e);

private:
  boost::asio::awaitable<Result<std::string>> create(docker::ContainerSpec spec);
  void note_stopping(const std::string& id, bool stopping) const;
  bool noted_stopping(const std::string& id) const;
  // A note per container id in `dir` (stopping_dir, claimed_dir): made, removed, looked up.
  static void note(const std::filesystem::path& dir, const std::string& id, bool on);
  static bool noted(const std::filesystem::path& dir, const std::string& id);
  // Where a running sandbox's replicas are reached, unknown when it cannot be.
  control::Reach reach_of(const docker::ContainerInfo& info, int port) const;

  docker::AsyncClient& pool_;
  DockerRuntimeOptions options_;
  std::shared_ptr<ImageOwners> owners_ = std::make_shared<ImageOwners>();  // shared with create's pool jobs
  std::unique_ptr<docker::EventWatcher> events_;
};

}  // namespace svl::runtime
