#pragma once
// What the core is configured with: the daemon's options, and each function as the registry has it.
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::control {

using orchestrator::FunctionSpec;

struct CoreOptions {
  std::string instance;     // label value marking this daemon's containers
  std::string extra_label;  // "key=value" added to every container (tests: svl.test=<run>)
  Duration tick = std::chrono::seconds(1);
  // After a cheap wake that took every held request, further wakes wait this long: starting
  // containers while the released burst is answered slows that burst on a small box.
  Duration burst_settle = std::chrono::milliseconds(250);
  std::chrono::seconds stop_grace{10};
  // A slot beyond a function's first (or its min) idle in the stopped or removed tier this long
  // goes with its sandbox; the last one too once the policy has removed its replica.
  Duration idle_slot_ttl = std::chrono::minutes(10);
  std::optional<std::uint64_t> memory_budget;
  // A small pool of spare sandboxes that belong to no function serves any function's new slot
  // (sandbox_pool.hpp), and a slot whose replica is removed gives up its sandbox at once. Only
  // where sandboxes publish nothing (the runtime's shared_sandboxes: the netns data path).
  bool sandbox_pool = false;
  int pool_max = 4;                                     // spares at most
  Duration pool_window = std::chrono::seconds(60);      // wakes counted for the pool's size
  std::string gateway_host = "127.0.0.1";  // where sandboxes publish
  // SVL_GATEWAY_URL in every replica: the gateway as the sandboxes' network reaches it, for
  // calls to other functions ("": not set).
  std::string gateway_url;
};

// A function as the registry has it.
struct FunctionConfig {
  std::string name;
  long revision = 0;
  FunctionSpec spec;
  std::string image;
  std::optional<long> min_override, max_override;
  // A dev deploy (svl dev holds a lease on it): replicas get spec.dev.mount, from source_dir.
  bool dev = false;
  std::string source_dir;
  std::string dev_user;  // "uid:gid" owning source_dir: the dev replica can read what is mounted
};

}  // namespace svl::control
