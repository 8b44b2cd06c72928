#pragma once
// Secrets as the admin API and the runtime use them: values sealed with the key file's box before
// they reach the registry, opened only to be written for a replica. The key is read at each use
// (a key restored from backup is picked up without a restart) and made at the first set when no
// secret exists yet; a missing, unreadable or wrong-sized key is an error naming its path, and
// nothing is stored or lost. Safe from several threads (the registry takes turns).
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "orchestrator/registry/registry.hpp"

namespace svl::orchestrator {

struct SecretError {
  unsigned status = 500;  // as the admin API answers: 400 bad name or size, 404 missing, 409 in use, 500 key
  std::string message;
};

class SecretStore {
public:
  SecretStore(Registry& registry, std::filesystem::path key_file)
      : registry_(registry), key_file_(std::move(key_file)) {}
  const std::filesystem::path& key_file() const { return key_file_; }

  Result<SecretRecord, SecretError> set(std::string_view name, std::string_view value);
  Result<std::vector<SecretRecord>, SecretError> list();
  // Refused (409) while a function's current revision names it.
  Result<void, SecretError> remove(std::string_view name);
  // The current version of each secret a spec names; 400 naming the key and the secret when one
  // does not exist.
  Result<SecretVersions, SecretError> versions(const std::map<std::string, SecretMount>& mounts);
  // KEY -> value for each of a spec's [secrets].
  Result<std::map<std::string, std::string>, SecretError> values(const std::map<std::string, SecretMount>& mounts);
  // Live functions whose current revision names the secret.
  std::vector<std::string> users_of(std::string_view name);

private:
  Registry& registry_;
  std::filesystem::path key_file_;
};

// Where the replicas' secret files live (secrets::SecretFiles): /run/svl/<hash of the state dir>
// as root (a tmpfs: nothing of it survives a reboot), else $XDG_RUNTIME_DIR/svl/<hash> (or
// /tmp/svl-<uid>/<hash>). One folder per daemon, so two daemons never share one.
std::filesystem::path secrets_root(const std::filesystem::path& state_dir);

// At start-up: logs why the key file cannot be used while secrets need it (missing, unreadable,
// wrong size). The daemon keeps running; functions without secrets are not affected.
void check_secret_key(SecretStore& store);

}  // namespace svl::orchestrator
