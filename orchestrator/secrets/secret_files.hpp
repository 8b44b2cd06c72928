#pragma once
// A revision's secrets on the host, for its replicas: <root>/<function>/<revision>/files/KEY
// (bind-mounted read-only at /run/secrets) and .../env/KEY (read into the environment of each
// replica created). Written once per revision, from the values current then, and reused by every
// replica of it after that, so a replica of a revision sees the versions the revision recorded
// (until the host reboots: the root is on a tmpfs, /run/svl). Docker cannot copy into a
// container's own tmpfs, and that would empty at every stop, defeating the stopped tier.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::secrets {

struct Owner {
  std::uint32_t uid = 0, gid = 0;
  bool known = true;  // false: the image names its user (USER node); files are then readable by any user
};
// The owner of the files from the image's Config.User: "" is root, "1000" and "1000:1000"
// numeric; names ("node", "app:staff") are looked up in the image's /etc/passwd and /etc/group
// texts, and are not known when those lack them (or were not given).
Owner owner_from_image_user(std::string_view user, std::string_view passwd = {}, std::string_view group = {});

struct Snapshot {
  std::string files_dir;                    // empty: the revision has no file secrets
  std::map<std::string, std::string> env;  // KEY -> value, for as = "env"
};

// KEY -> value of each of a spec's [secrets], or why they cannot be read.
using FetchValues = std::function<Result<std::map<std::string, std::string>, std::string>()>;

class SecretFiles {
public:
  explicit SecretFiles(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }

  // The revision's snapshot: read back when written before, else written (into a temporary
  // folder renamed into place, so a crash never leaves half of one) from fetch(). Other
  // revisions' folders of the function are removed (their running replicas keep their mounts).
  Result<Snapshot, std::string> ensure(const std::string& function, long revision,
                                       const std::map<std::string, orchestrator::SecretMount>& mounts, Owner owner,
                                       const FetchValues& fetch) const;
  // When the function is removed.
  void remove_function(const std::string& function) const;

private:
  std::filesystem::path root_;
};

}  // namespace svl::secrets
