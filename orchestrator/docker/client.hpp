#pragma once
// Synchronous Docker Engine API client over libcurl.
//
// One Client owns one curl handle (so one kept-alive connection) and must be used by one thread
// at a time; AsyncClient (async_client.hpp) runs a pool of them off the caller's event loop.
// Every call is bounded: a connect timeout plus a total timeout; the streaming calls
// (build, follow_logs, events) have a long or no total timeout and take a std::stop_token.
#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/docker/result.hpp"
#include "orchestrator/docker/types.hpp"

namespace svl::docker {

// Sees every API call (for metrics: count every external error, time every call).
class Observer {
public:
  virtual ~Observer() = default;
  // operation: "container_start", "image_build", ...; error is null on success.
  virtual void on_call(std::string_view operation, std::chrono::nanoseconds latency,
                       const Error* error) = 0;
};

struct ClientOptions {
  // "unix:///var/run/docker.sock" or "tcp://host:port". Empty: $DOCKER_HOST, else the default socket.
  std::string host;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(2)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};  // total, short calls
  // Highest API version used; the daemon's own (from /_ping) is used when lower.
  std::string max_api_version = "1.41";
  std::shared_ptr<Observer> observer;  // optional
  // Cuts every call of this client that has no stop_token of its own (a daemon shutting down
  // does not wait out a stop's grace).
  std::stop_token stop;

  // The endpoint to use when `host` is empty: $DOCKER_HOST or unix:///var/run/docker.sock.
  static std::string default_host();
};

class Client {
public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const noexcept;

  // ---- daemon ----
  // GET /_ping; on success the API version is (re)negotiated: min(daemon, max_api_version).
  Result<PingInfo> ping();
  Result<VersionInfo> version();
  // dockerd's security options (GET /info): "name=rootless" when it runs rootless.
  Result<std::vector<std::string>> security_options();
  // The version used as path prefix ("1.41"); pings the daemon the first time it is needed.
  Result<std::string> api_version();

  // ---- images ----
  using BuildLineCallback = std::function<void(std::string_view line)>;
  // Tars options.context_dir (honouring .dockerignore), or sends options.context_tar, and builds it. Each progress message
  // ("stream", "status" or "error") reaches on_line as it arrives. A build error gives
  // Errc::build_failed with the build's own error text, prefixed by the failing step line.
  Result<BuildResult> build_image(const BuildOptions& options, const BuildLineCallback& on_line = {},
                                  std::stop_token stop = {});
  // Same with a ready tar (options.context_dir is ignored; an empty tar sends options.context_tar).
  Result<BuildResult> build_image_from_tar(std::string tar, const BuildOptions& options,
                                           const BuildLineCallback& on_line = {},
                                           std::stop_token stop = {});
  Result<ImageInfo> inspect_image(const std::string& reference);
  // A file of an image, read through a container made for it and removed (its /etc/passwd).
  Result<std::string> read_image_file(const std::string& image, const std::string& path, const Labels& labels = {});
  Status remove_image(const std::string& reference, bool force = false);

  // ---- containers ----
  Result<std::string> create_container(const ContainerSpec& spec);  // the new id
  Status start_container(const std::string& id);   // already running: success
  // Docker sends SIGTERM (or the stop signal), then SIGKILL after `grace`. Already stopped: success.
  Status stop_container(const std::string& id, std::chrono::seconds grace);
  Status kill_container(const std::string& id, std::string_view signal = "SIGKILL");
  Status remove_container(const std::string& id, RemoveOptions options = {});
  Status pause_container(const std::string& id);
  Status unpause_container(const std::string& id);
  Result<ContainerInfo> inspect_container(const std::string& id);
  Result<std::vector<ContainerSummary>> list_containers(const ListOptions& options = {});
  // Blocks until the condition holds or `timeout` passes (Errc::timeout).
  Result<WaitResult> wait_container(const std::string& id, std::chrono::milliseconds timeout,
                                    WaitCondition condition = WaitCondition::not_running);

  // ---- networks ----
  Result<NetworkInfo> inspect_network(const std::string& name);
  Result<std::string> create_network(const NetworkSpec& spec);  // the new id; 409 when the name is taken
  Status remove_network(const std::string& name);

  // ---- logs (containers are created without a TTY, so the stream is multiplexed) ----
  Result<Logs> logs(const std::string& id, const LogsOptions& options = {});
  // follow=1: each complete line reaches on_line; returns when the container's output ends,
  // on_line returns false, or `stop` fires (Errc::cancelled).
  using LogLineCallback = std::function<bool(const LogLine&)>;
  Status follow_logs(const std::string& id, const LogsOptions& options,
                     const LogLineCallback& on_line, std::stop_token stop = {});

  // ---- events ----
  // One GET /events stream (no reconnect: see EventWatcher). Returns when on_event returns false,
  // `stop` fires (Errc::cancelled), `until` is reached (success), or the stream breaks (error).
  using EventCallback = std::function<bool(const Event&)>;
  Status events(const EventFilter& filter, const EventCallback& on_event, std::stop_token stop = {});

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace svl::docker
