#pragma once
// `svl dev`'s eye on the folder: recursive inotify, honouring .dockerignore, in debounced batches.
// Blocking and single-threaded: it runs on the CLI's own thread.
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "orchestrator/docker/build_context.hpp"

namespace svl::dev {

// One batch: paths relative to the folder, '/'-separated, sorted and unique.
struct Changes {
  std::vector<std::string> paths;
  bool overflow = false;  // the kernel dropped events: treat everything as changed
};

class Watcher {
public:
  // Watches `root` and every directory below it that is not excluded (.dockerignore, `.git`,
  // `node_modules`); directories created later are added. `always` names paths reported even
  // when .dockerignore excludes them (svl dev's .env and svl.toml). Errors are printable.
  static svl::Result<Watcher, std::string> open(const std::filesystem::path& root, std::chrono::milliseconds debounce,
                                                std::vector<std::string> always = {});

  Watcher(Watcher&& other) noexcept;
  Watcher& operator=(Watcher&& other) noexcept;
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  ~Watcher();

  // The inotify descriptor, readable when an event is queued (for a caller's own poll).
  int fd() const noexcept { return fd_; }

  // Blocks up to `timeout` for the first change, then collects until `debounce` passes with no
  // event (ten debounces at most). nullopt: nothing changed in time, or a signal interrupted the wait (EINTR).
  std::optional<Changes> wait(std::chrono::milliseconds timeout);

private:
  Watcher() = default;
  bool reported(const std::string& rel) const;
  bool watched(const std::string& rel) const;
  std::string add_tree(const std::string& rel, bool report);  // "" or the first error
  void drop_tree(const std::string& rel);
  bool drain();  // reads what is queued; false when nothing was

  int fd_ = -1;
  std::filesystem::path root_;
  std::chrono::milliseconds debounce_{0};
  docker::DockerIgnore ignore_;
  std::vector<std::string> always_;
  std::unordered_map<int, std::string> dirs_;  // watch descriptor -> directory, "" for the root
  std::set<std::string> pending_;
  bool overflow_ = false;
};

}  // namespace svl::dev
