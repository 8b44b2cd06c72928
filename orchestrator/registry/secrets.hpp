#pragma once
// A secret as the registry keeps it: sealed (orchestrator/secrets/secret_box.hpp), never the
// value, with its size, a version that grows on each set, and when it was last set.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace svl::orchestrator {

struct SecretRecord {
  std::string name;
  std::int64_t size = 0;     // of the value, in bytes
  std::int64_t version = 0;  // 1 at the first set, +1 at each one after
  std::chrono::system_clock::time_point updated_at;
  std::string sealed;  // nonce || box; empty in list_secrets
};

// The secrets a revision was made with: name -> version (never a value).
using SecretVersions = std::map<std::string, std::int64_t>;

}  // namespace svl::orchestrator
