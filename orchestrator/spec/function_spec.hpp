#pragma once
// A function as described by its svl.toml: every key with its default.
// Parsing and validation live in spec_parser.hpp, JSON and hashing in spec_json.hpp;
// docs/svl-toml.md documents each key. A FunctionSpec that came out of the parser
// is valid; one built by hand can be checked with spec_from_json(to_json(spec)).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schedule/concurrency.hpp"

namespace svl::orchestrator {

// How idle replicas are kept, paused, stopped and pre-warmed (autoscaler/, docs/autoscaler.md).
enum class ScalePolicy {
  adaptive,  // svl's own: learns each function's idle times, weighs idle memory against cold starts
  hybrid,    // the histogram policy of Shahrad et al., "Serverless in the Wild" (ATC 2020)
  fixed,     // pause_after, then idle_timeout, exactly as written; the only policy that reads them
};

std::string_view to_string(ScalePolicy policy);
std::optional<ScalePolicy> scale_policy_from_string(std::string_view text);

struct BuildSpec {
  std::string context = ".";              // relative to the folder holding svl.toml
  std::string dockerfile = "Dockerfile";  // relative to context
  std::map<std::string, std::string> args;

  bool operator==(const BuildSpec&) const = default;
};

struct ResourcesSpec {
  std::uint64_t memory_bytes = 256ull << 20;  // hard limit; also the GB in GB-seconds
  double cpus = 0;                            // 0 = unlimited; 0.5 = half a core
  std::int64_t pids = 256;

  bool operator==(const ResourcesSpec&) const = default;
};

// [[scale.schedule]]: a window of scheduled capacity (schedule/windows.hpp): from `start` to
// the next `end` after it, min replicas are kept ready (and max, when set, replaces the
// function's). Cron text as written; a spec that came out of the parser holds valid ones.
struct ScheduleWindowSpec {
  std::string start;            // cron (schedule/cron.hpp)
  std::string end;
  std::string timezone = "UTC";  // IANA
  std::int64_t min = 0;
  std::optional<std::int64_t> max;

  bool operator==(const ScheduleWindowSpec&) const = default;
};

struct ScaleSpec {
  std::int64_t min = 0;  // 0 allows scale to zero
  std::int64_t max = 10;
  // Replicas started when a revision is deployed, so `svl up` proves it becomes ready.
  // The reconciler uses max(initial, min).
  std::int64_t initial = 1;
  // In-flight requests per replica the autoscaler aims for. Knative uses 100 for clusters;
  // on one box 10 adds replicas before queues grow long. When container_concurrency is set,
  // the effective target is min(target_concurrency, container_concurrency).
  double target_concurrency = 10;
  std::int64_t container_concurrency = 0;  // hard cap of in-flight requests per replica; 0 = none
  ScalePolicy policy = ScalePolicy::adaptive;
  // Only for policy fixed (any other policy rejects them in svl.toml, the others choose for themselves).
  // Idle time before a replica is paused (nullopt = "off", never). 30s keeps short gaps
  // in traffic free of any wake cost; after that a paused replica costs no CPU and wakes in ~10 ms.
  std::optional<std::chrono::milliseconds> pause_after = std::chrono::seconds(30);
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);  // idle time before it is stopped
  // Time a stopped replica's container is kept (for a fast start) before it is removed.
  std::chrono::milliseconds remove_after = std::chrono::hours(1);
  std::int64_t queue = 1000;  // requests held per function while waiting for capacity
  // Only for policy adaptive: GB-seconds of idle memory one cold start is worth (nullopt: the
  // policy's default, 2000, AdaptivePolicyConfig). Lower keeps idle replicas loaded for less time.
  std::optional<double> cold_start_cost;
  std::vector<ScheduleWindowSpec> schedule;  // in file order (ties between windows go to the first)

  bool operator==(const ScaleSpec&) const = default;
};

struct HealthSpec {
  std::string path = "/";  // readiness probe: any HTTP answer below 500 means ready
  std::chrono::milliseconds start_timeout = std::chrono::seconds(30);

  bool operator==(const HealthSpec&) const = default;
};

struct HttpSpec {
  std::chrono::milliseconds timeout = std::chrono::seconds(60);  // for the response headers; longer: 504
  std::uint64_t max_body_bytes = 100ull << 20;  // request body; larger: 413

  bool operator==(const HttpSpec&) const = default;
};

// How each replica's process runs.
struct RunSpec {
  // Docker's init (tini) as PID 1: it forwards SIGTERM to the app and reaps zombies. Without it
  // the app is PID 1, where signals it sets no handler for are ignored, so an app that does not
  // handle SIGTERM keeps running until the stop grace ends in SIGKILL.
  bool init = true;
  // Capabilities given back to the replica, which runs with none (Docker's CapDrop ALL): kernel
  // names without CAP_ ("NET_BIND_SERVICE"), in file order, none twice.
  std::vector<std::string> cap_add;

  bool operator==(const RunSpec&) const = default;
};

// What `svl dev` does differently (docs/dev.md); a deploy that is not a dev one ignores it.
struct DevSpec {
  // Folder (relative to svl.toml's) -> absolute path in the container. svl dev bind-mounts each
  // into its replica, read-only, and restarts the process when a file below one changes instead
  // of rebuilding; any other change rebuilds.
  std::map<std::string, std::string> mount;

  bool operator==(const DevSpec&) const = default;
};

// [[cron]]: a call svl makes to the function on a schedule, through its own gateway.
struct CronSpec {
  std::string name;              // "" : the path; unique among the function's triggers
  std::string schedule;          // cron (schedule/cron.hpp)
  std::string timezone = "UTC";  // IANA
  std::string path;              // request path, starting with '/'
  std::string method = "POST";   // upper case
  std::optional<std::string> body;
  std::map<std::string, std::string> headers;
  std::optional<std::chrono::milliseconds> timeout;  // nullopt: [http] timeout
  schedule::Concurrency concurrency = schedule::Concurrency::forbid;
  bool private_path = true;  // the key `private`: only svl may call this path (404 to others)
  bool catch_up = false;     // run the most recent fire time missed while the daemon was down

  // What runs are recorded under and X-Svl-Cron carries.
  const std::string& trigger() const { return name.empty() ? path : name; }
  bool operator==(const CronSpec&) const = default;
};

// [secrets]: how a replica sees a secret (`svl secret set NAME`): the file /run/secrets/KEY
// (default), or the environment variable KEY with as = "env". The spec holds the secret's
// name, never its value.
struct SecretMount {
  std::string secret;
  bool env = false;

  bool operator==(const SecretMount&) const = default;
};

struct FunctionSpec {
  static constexpr std::uint16_t default_port = 8080;

  std::string name;
  std::uint16_t port = default_port;  // where the app listens; PORT is set to it
  std::string image;                  // exactly one of image and build is set
  std::optional<BuildSpec> build;
  std::map<std::string, std::string> env;
  ResourcesSpec resources;
  ScaleSpec scale;
  HealthSpec health;
  HttpSpec http;
  RunSpec run;
  DevSpec dev;
  std::vector<CronSpec> cron;  // in file order
  // Host names that route to this function as they are, besides NAME.<base domain> (lower case,
  // no port, no duplicates; the daemon refuses one another function has or could have).
  std::vector<std::string> custom_domains{};
  std::map<std::string, SecretMount> secrets{};  // KEY in the replica -> the secret

  bool operator==(const FunctionSpec&) const = default;
};

// The environment a replica runs with: [env] plus PORT, as "KEY=value", sorted.
std::vector<std::string> container_environment(const FunctionSpec& spec);

// Why `name` cannot be a secret's name, or "" when it can: 1-63 characters of a-z, 0-9, '.', '_'
// and '-', starting with a letter or digit (it is also a file name on the host).
std::string secret_name_problem(std::string_view name);

// The limits of a function name: [a-z0-9-], 1-63 characters, no leading or trailing '-'
// (a DNS label, so NAME.localhost works).
bool is_valid_function_name(std::string_view name);

// Why `domain` cannot be a custom domain, or "" when it can: a DNS host name in lower case
// (labels of a-z, 0-9 and '-', 1-63 characters, not starting or ending with '-', at most 253 in
// all), not an IP address, without scheme, port, path, wildcard or trailing dot.
std::string custom_domain_problem(std::string_view domain);

}  // namespace svl::orchestrator
