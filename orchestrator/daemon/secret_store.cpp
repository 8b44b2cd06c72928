#include "orchestrator/daemon/secret_store.hpp"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "orchestrator/daemon/daemon_log.hpp"
#include "orchestrator/secrets/secret_box.hpp"

namespace svl::orchestrator {
namespace {

using secrets::SecretBox;

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

SecretError from_registry(const RegistryError& e) {
  return SecretError{e.code == RegistryErrc::not_found ? 404u : e.code == RegistryErrc::invalid ? 400u : 500u, e.message};
}

}  // namespace

Result<SecretRecord, SecretError> SecretStore::set(std::string_view name, std::string_view value) {
  if (auto problem = secret_name_problem(name); !problem.empty())
    return SecretError{400, "name: secret name " + in_quotes(name) + " " + problem};
  if (value.size() > secrets::kMaxSecretBytes)
    return SecretError{400, "value: secret " + in_quotes(name) + " is " + std::to_string(value.size()) +
                                " bytes, more than the limit of " + std::to_string(secrets::kMaxSecretBytes) + " (64 KiB)"};
  auto existing = registry_.list_secrets();
  if (!existing) return from_registry(existing.error());
  // A new key only for the very first secret: with secrets stored, a missing key is lost, not new.
  const auto mode = existing->empty() ? SecretBox::KeyMode::create_if_missing : SecretBox::KeyMode::existing;
  auto box = SecretBox::load(key_file_, mode);
  if (!box) return SecretError{500, box.error().message};
  auto stored = registry_.put_secret(name, box->seal(value), static_cast<std::int64_t>(value.size()));
  if (!stored) return from_registry(stored.error());
  return *stored;
}

Result<std::vector<SecretRecord>, SecretError> SecretStore::list() {
  auto all = registry_.list_secrets();
  if (!all) return from_registry(all.error());
  return *all;
}

std::vector<std::string> SecretStore::users_of(std::string_view name) {
  std::vector<std::string> out;
  if (auto functions = registry_.list_functions())
    for (const auto& f : *functions)
      for (const auto& [key, mount] : f.current.spec.secrets)
        if (mount.secret == name) {
          out.push_back(f.name);
          break;
        }
  return out;
}

Result<void, SecretError> SecretStore::remove(std::string_view name) {
  if (auto users = users_of(name); !users.empty()) {
    std::string list;
    for (const auto& u : users) list += (list.empty() ? "" : ", ") + u;
    return SecretError{409, "secret " + in_quotes(name) + " is used by " + list +
                                ": remove it from their [secrets] and run svl up first"};
  }
  if (auto st = registry_.delete_secret(name); !st) return from_registry(st.error());
  return {};
}

Result<SecretVersions, SecretError> SecretStore::versions(const std::map<std::string, SecretMount>& mounts) {
  SecretVersions out;
  std::string missing;
  for (const auto& [key, mount] : mounts) {
    auto found = registry_.get_secret(mount.secret);
    if (found) {
      out[mount.secret] = found->version;
    } else if (found.error().code == RegistryErrc::not_found) {
      missing += (missing.empty() ? "" : "; ") + ("secrets." + key + ": secret " + in_quotes(mount.secret) +
                                                  " does not exist (create it with `svl secret set " + mount.secret + "`)");
    } else {
      return from_registry(found.error());
    }
  }
  if (!missing.empty()) return SecretError{400, missing};
  return out;
}

Result<std::map<std::string, std::string>, SecretError> SecretStore::values(
    const std::map<std::string, SecretMount>& mounts) {
  auto box = SecretBox::load(key_file_, SecretBox::KeyMode::existing);
  if (!box) return SecretError{500, box.error().message};
  std::map<std::string, std::string> out;
  for (const auto& [key, mount] : mounts) {
    auto found = registry_.get_secret(mount.secret);
    if (!found) return from_registry(found.error());
    auto value = box->open(found->sealed);
    if (!value) return SecretError{500, "secret " + in_quotes(mount.secret) + ": " + value.error().message};
    out[key] = std::move(*value);
  }
  return out;
}

std::filesystem::path secrets_root(const std::filesystem::path& state_dir) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : state_dir.string()) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  if (::geteuid() == 0) return std::filesystem::path("/run/svl") / hex;
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
    return std::filesystem::path(runtime) / "svl" / hex;
  return std::filesystem::path("/tmp") / ("svl-" + std::to_string(::geteuid())) / hex;
}

void check_secret_key(SecretStore& store) {
  auto all = store.list();
  if (!all || all->empty()) return;
  if (auto box = secrets::SecretBox::load(store.key_file(), secrets::SecretBox::KeyMode::existing); !box)
    log("secrets: " + box.error().message + "; replicas that use secrets cannot be created until it is fixed");
}

}  // namespace svl::orchestrator
