#pragma once
// Names and labels of the containers svl creates. Labels are how the daemon finds its own
// containers after a crash, and how it knows never to touch anyone else's.
#include <string>

namespace svl::control::names {

inline constexpr const char* managed = "svl.managed";      // "true" on every svl container
inline constexpr const char* function = "svl.function";    // function name
inline constexpr const char* revision = "svl.revision";    // revision number (replicas)
inline constexpr const char* role = "svl.role";            // "replica", "sandbox" or "pool"
inline constexpr const char* slot = "svl.slot";            // slot index within the function
inline constexpr const char* port = "svl.port";            // container port a sandbox publishes
inline constexpr const char* instance = "svl.instance";    // daemon state dir that owns it
inline constexpr const char* test = "svl.test";            // test run id (tests only)

inline std::string sandbox_name(const std::string& fn, int slot_index) {
  return "svl-" + fn + "-s" + std::to_string(slot_index);
}
// A spare of the sandbox pool: `tag` tells daemons apart (names are global), `n` spares apart.
inline std::string pool_sandbox_name(const std::string& tag, long long n) { return "svl-pool-" + tag + "-" + std::to_string(n); }
inline std::string replica_name(const std::string& fn, int slot_index, long revision) {
  return "svl-" + fn + "-s" + std::to_string(slot_index) + "-r" + std::to_string(revision);
}

}  // namespace svl::control::names
