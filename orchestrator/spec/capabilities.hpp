#pragma once
// Linux capabilities by name, for `[run] cap_add` (replicas run with none but those it names).
#include <span>
#include <string>
#include <string_view>

namespace svl::orchestrator {

// The kernel's capabilities (linux/capability.h, CAP_CHOWN = 0 to CAP_CHECKPOINT_RESTORE = 40),
// without the CAP_ prefix, in the kernel's order.
std::span<const std::string_view> capability_names();

// Why `name` cannot go into cap_add, or "" when it can; `normalized` is then the name without
// CAP_ (what Docker's CapAdd and the spec's JSON carry). Upper case, with or without CAP_.
std::string capability_problem(std::string_view name, std::string& normalized);

}  // namespace svl::orchestrator
