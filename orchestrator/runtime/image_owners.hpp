#pragma once
// Who a replica runs as, for its secrets' files: a numeric user as it is, a name ("node",
// "app:staff") looked up in the image's /etc/passwd and /etc/group. Those are read once per image
// and user, through a container made for the read and removed, so a wake pays nothing for it.
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "orchestrator/docker/client.hpp"
#include "orchestrator/secrets/secret_files.hpp"

namespace svl::runtime {

class ImageOwners {
public:
  // Not known (files any user may read) when the image lacks the name; an error only when Docker fails.
  docker::Result<secrets::Owner> of(docker::Client& docker, const std::string& image_id, const std::string& user);

private:
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, secrets::Owner> resolved_;
};

}  // namespace svl::runtime
