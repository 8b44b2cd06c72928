#include "orchestrator/runtime/image_owners.hpp"

#include "orchestrator/control/names.hpp"

namespace svl::runtime {

docker::Result<secrets::Owner> ImageOwners::of(docker::Client& docker, const std::string& image_id, const std::string& user) {
  if (auto numeric = secrets::owner_from_image_user(user); numeric.known) return numeric;
  {
    std::lock_guard lock(mutex_);
    if (auto it = resolved_.find({image_id, user}); it != resolved_.end()) return it->second;
  }
  const docker::Labels labels{{control::names::managed, "true"}};
  // /etc/group only when the user names a group ("app:staff"): each read is a container made and removed.
  const auto colon = user.find(':');
  const bool group_named = colon != std::string::npos && user.find_first_not_of("0123456789", colon + 1) != std::string::npos;
  std::string texts[2];
  const char* paths[2] = {"/etc/passwd", "/etc/group"};
  for (int i = 0; i < (group_named ? 2 : 1); ++i) {
    auto text = docker.read_image_file(image_id, paths[i], labels);
    if (text) texts[i] = std::move(*text);
    else if (text.error().code != docker::Errc::not_found && text.error().code != docker::Errc::invalid_argument)
      return text.error();  // Docker failed; a missing file only leaves the name unknown
  }
  const auto owner = secrets::owner_from_image_user(user, texts[0], texts[1]);
  std::lock_guard lock(mutex_);
  resolved_[{image_id, user}] = owner;
  return owner;
}

}  // namespace svl::runtime
