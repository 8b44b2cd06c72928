#pragma once
// Plain data exchanged with the Docker Engine API (subset of API 1.41 that svl uses).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace svl::docker {

using Labels = std::map<std::string, std::string>;

struct PingInfo {
  std::string api_version;  // "API-Version" header of the daemon, e.g. "1.41"
  std::string os_type;      // "OSType" header, e.g. "linux"
};

struct VersionInfo {
  std::string version;          // "20.10.24+dfsg1"
  std::string api_version;      // "1.41"
  std::string min_api_version;  // "1.12"
  std::string os, arch, kernel_version;
};

// ---- images ------------------------------------------------------------------------------

struct BuildOptions {
  std::filesystem::path context_dir;       // folder sent as the build context (.dockerignore honoured)
  std::filesystem::path context_tar;       // or a ready tar file, sent as it is read (an uploaded context)
  std::string dockerfile = "Dockerfile";   // path inside the context
  std::vector<std::string> tags;           // "name:tag"
  std::map<std::string, std::string> build_args;
  Labels labels;
  bool no_cache = false;
  bool pull = false;                       // never useful here: no registry access
  bool remove_intermediate = true;         // rm=1, forcerm=1
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

struct BuildResult {
  std::string image_id;            // "sha256:..." from the aux message
  std::vector<std::string> lines;  // every progress line, in order
};

struct ImageInfo {
  std::string id;
  std::vector<std::string> repo_tags;
  std::string created;  // RFC 3339
  std::int64_t size = 0;
  Labels labels;
  std::vector<std::string> entrypoint, cmd, env;
  std::vector<std::string> exposed_ports;  // "8080/tcp"
  std::string user;                        // Config.User: "", "1000", "1000:1000" or a name
};

// ---- containers --------------------------------------------------------------------------

struct ContainerSpec {
  std::string name;                   // empty: Docker picks one
  std::string image;
  std::vector<std::string> cmd;       // empty: the image's CMD
  std::vector<std::string> entrypoint;  // empty: the image's ENTRYPOINT
  std::map<std::string, std::string> env;
  Labels labels;
  // Container TCP port published on 127.0.0.1 with a host port Docker picks ("HostPort": "").
  // Must stay empty with network_mode "container:<id>" (the namespace owner publishes).
  std::optional<int> publish_port;
  std::string network_mode;           // "" (default bridge), "bridge", "none", "container:<id>"
  std::int64_t memory_bytes = 0;      // 0: unlimited
  std::int64_t nano_cpus = 0;         // 1e9 = one CPU; 0: unlimited
  std::int64_t pids_limit = 0;        // 0: unlimited
  bool no_new_privileges = true;      // SecurityOpt "no-new-privileges"
  bool read_only_rootfs = false;
  std::string user;                   // "uid:gid"; empty: the image's
  std::optional<int> stop_timeout_s;  // default grace for `stop` without a timeout
  std::string stop_signal;            // empty: SIGTERM
  // HostConfig.Init: Docker's init (tini, /sbin/docker-init) runs as PID 1, forwards signals to
  // the app and reaps zombies; an app as PID 1 has no default signal actions, so without init an
  // app that sets no SIGTERM handler waits out the whole stop grace. nullopt: dockerd's default.
  std::optional<bool> init;
  std::vector<std::string> binds;  // HostConfig.Binds: "host-path:container-path[:ro]"
  std::vector<std::string> cap_drop;  // HostConfig.CapDrop, e.g. {"ALL"}
  std::vector<std::string> cap_add;   // HostConfig.CapAdd, e.g. {"NET_BIND_SERVICE"}
};

struct ContainerState {
  std::string status;  // created, running, paused, restarting, removing, exited, dead
  bool running = false;
  bool paused = false;
  bool restarting = false;
  bool oom_killed = false;
  bool dead = false;
  int pid = 0;
  int exit_code = 0;
  std::string error;
  std::string started_at;   // RFC 3339 with nanoseconds; "0001-01-01T00:00:00Z" when never
  std::string finished_at;
};

struct ContainerInfo {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;  // the image reference given at create
  std::string image_id;
  std::string created;
  ContainerState state;
  Labels labels;
  std::string network_mode;
  int restart_count = 0;
  // What the container runs with (HostConfig, Config.User, Mounts): checked by the tests, and by
  // anyone asking what svl gave a replica.
  std::string user;
  std::int64_t memory_bytes = 0;  // 0: no limit
  std::int64_t nano_cpus = 0;
  std::int64_t pids_limit = 0;
  bool privileged = false;
  bool read_only_rootfs = false;
  bool init = false;  // HostConfig.Init (false also when dockerd's default applies)
  std::vector<std::string> security_opt;
  std::vector<std::string> mount_sources;  // host paths and volumes mounted into it
  std::vector<std::string> cap_drop, cap_add;  // HostConfig.CapDrop, CapAdd
  std::map<std::string, std::string> ip_addresses;  // network name -> its IPv4 address there
  // Published ports: container port (tcp) -> host port on 127.0.0.1 (after start).
  std::map<int, int> host_ports;

  std::optional<int> host_port(int container_port) const {
    auto it = host_ports.find(container_port);
    if (it == host_ports.end()) return std::nullopt;
    return it->second;
  }
};

struct ContainerSummary {
  std::string id;
  std::vector<std::string> names;  // without the leading '/'
  std::string image;
  std::string state;   // created, running, paused, exited ...
  std::string status;  // human text: "Up 3 seconds"
  std::int64_t created = 0;  // unix seconds
  Labels labels;
  std::string network_mode;  // HostConfig.NetworkMode: "container:<id>" for a replica in a sandbox
};

struct ListOptions {
  std::vector<std::string> label_filters;  // "svl.managed=true" or "svl.function"
  std::vector<std::string> status_filters; // "running", "exited", ...
  bool all = true;
};

struct RemoveOptions {
  bool force = false;    // kill first when running
  bool volumes = false;  // remove anonymous volumes
};

enum class WaitCondition { not_running, next_exit, removed };

struct WaitResult {
  int status_code = 0;
  std::string error;  // Docker's "Error.Message" when waiting failed
};

// ---- networks ----------------------------------------------------------------------------

struct NetworkSpec {
  std::string name;
  std::string driver = "bridge";
  Labels labels;
  std::map<std::string, std::string> options;  // driver options, e.g. com.docker.network.bridge.enable_icc
};

struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  Labels labels;
  std::map<std::string, std::string> options;
  std::string subnet;   // IPAM's first IPv4 config, "172.18.0.0/16"
  std::string gateway;  // the host's address on it, "172.18.0.1"
};

// ---- logs --------------------------------------------------------------------------------

enum class LogStream { out = 1, err = 2 };

struct LogLine {
  LogStream stream = LogStream::out;
  std::string text;  // one line without its '\n' (a final unterminated line is delivered too)
};

struct LogsOptions {
  bool out = true;
  bool err = true;
  bool timestamps = false;
  std::optional<std::int64_t> since;  // unix seconds
  std::optional<int> tail;            // last N lines; nullopt: all
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // non-follow only
};

struct Logs {
  std::string out;  // stdout bytes, concatenated
  std::string err;  // stderr bytes, concatenated
  std::vector<LogLine> lines;  // interleaved in arrival order
};

// ---- events ------------------------------------------------------------------------------

enum class EventAction { create, start, die, oom, kill, stop, pause, unpause, destroy, other };

struct Event {
  std::string type;    // "container"
  std::string action_text;  // raw "Action", e.g. "die", "exec_create: sh"
  EventAction action = EventAction::other;
  std::string id;      // Actor.ID
  std::map<std::string, std::string> attributes;  // Actor.Attributes: labels + name, image, exitCode, signal
  std::optional<int> exit_code;  // "die" only
  std::int64_t time_nano = 0;

  // A label (or any attribute) of the actor; empty when absent.
  std::string attribute(const std::string& key) const {
    auto it = attributes.find(key);
    return it == attributes.end() ? std::string{} : it->second;
  }
};

struct EventFilter {
  std::vector<std::string> labels;                 // "svl.managed=true"
  std::vector<std::string> types{"container"};
  std::vector<std::string> events;                 // empty: every action
  std::optional<std::string> since;                // "<unix seconds>[.<nanos>]"
  std::optional<std::string> until;
};

EventAction parse_event_action(std::string_view action) noexcept;
const char* to_string(EventAction a) noexcept;

}  // namespace svl::docker
