#include "orchestrator/dev/watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace svl::dev {
namespace {

namespace fs = std::filesystem;

// Every change to a file's content, name, mode or existence.
constexpr std::uint32_t kMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

bool under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// `.git` and `node_modules` anywhere: never part of what svl dev reacts to.
bool always_ignored(std::string_view rel) {
  std::size_t pos = 0;
  while (pos <= rel.size()) {
    auto next = rel.find('/', pos);
    if (next == std::string_view::npos) next = rel.size();
    auto part = rel.substr(pos, next - pos);
    if (part == ".git" || part == "node_modules") return true;
    pos = next + 1;
  }
  return false;
}

int poll_ms(std::chrono::steady_clock::duration d) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 1 << 30));
}

}  // namespace

svl::Result<Watcher, std::string> Watcher::open(const fs::path& root, std::chrono::milliseconds debounce,
                                                std::vector<std::string> always) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return "cannot watch " + root.string() + ": not a folder";
  Watcher w;
  w.root_ = root;
  w.debounce_ = debounce;
  w.always_ = std::move(always);
  if (std::ifstream in{root / ".dockerignore"}) {
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = docker::DockerIgnore::parse(text.str());
    if (!parsed) return (root / ".dockerignore").string() + ": " + parsed.error().message;
    w.ignore_ = std::move(parsed.value());
  }
  w.fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w.fd_ < 0) return std::string("inotify_init1: ") + std::strerror(errno);
  if (auto err = w.add_tree("", false); !err.empty()) return err;
  return w;
}

Watcher::Watcher(Watcher&& other) noexcept { *this = std::move(other); }

Watcher& Watcher::operator=(Watcher&& other) noexcept {
  if (this == &other) return *this;
  if (fd_ >= 0) ::close(fd_);
  fd_ = std::exchange(other.fd_, -1);
  root_ = std::move(other.root_);
  debounce_ = other.debounce_;
  ignore_ = std::move(other.ignore_);
  always_ = std::move(other.always_);
  dirs_ = std::move(other.dirs_);
  pending_ = std::move(other.pending_);
  overflow_ = other.overflow_;
  return *this;
}

Watcher::~Watcher() {
  if (fd_ >= 0) ::close(fd_);
}

bool Watcher::reported(const std::string& rel) const {
  if (always_ignored(rel)) return false;
  if (std::find(always_.begin(), always_.end(), rel) != always_.end()) return true;
  return !ignore_.excluded(rel);
}

// An excluded directory is still watched when something below it may be included.
bool Watcher::watched(const std::string& rel) const {
  if (always_ignored(rel)) return false;
  if (!ignore_.excluded(rel) || ignore_.has_exceptions()) return true;
  return std::any_of(always_.begin(), always_.end(), [&](const std::string& a) { return under(a, rel); });
}

std::string Watcher::add_tree(const std::string& rel, bool report) {
  const fs::path dir = rel.empty() ? root_ : root_ / rel;
  int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
  if (wd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return "";  // gone again before we got to it
    std::string hint = errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "";
    return "inotify_add_watch " + dir.string() + ": " + std::strerror(errno) + hint;
  }
  dirs_[wd] = rel;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string child = join(rel, it->path().filename().string());
    std::error_code type_ec;
    if (it->is_directory(type_ec) && !it->is_symlink(type_ec)) {
      if (!watched(child)) continue;
      if (auto err = add_tree(child, report); !err.empty()) return err;
    } else if (report && reported(child)) {
      pending_.insert(child);  // written before its directory's watch existed
    }
  }
  return "";
}

void Watcher::drop_tree(const std::string& rel) {
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (it->second == rel || under(it->second, rel)) {
      ::inotify_rm_watch(fd_, it->first);  // EINVAL when the kernel already dropped it: fine
      it = dirs_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Watcher::drain() {
  alignas(inotify_event) char buffer[64 * 1024];
  bool any = false;
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) return any;  // EAGAIN: queue empty
    any = true;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buffer + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {
        overflow_ = true;
        (void)add_tree("", false);  // pick up directories whose creation was lost
        continue;
      }
      if (ev->mask & IN_IGNORED) {
        dirs_.erase(ev->wd);
        continue;
      }
      auto dir = dirs_.find(ev->wd);
      if (dir == dirs_.end() || ev->len == 0) continue;  // events on the directory itself
      const std::string rel = join(dir->second, ev->name);
      if (ev->mask & IN_ISDIR) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
          if (watched(rel)) (void)add_tree(rel, true);  // out of watches: its files go unseen
        } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
          drop_tree(rel);
          if (reported(rel)) pending_.insert(rel);
        }
        continue;
      }
      if (reported(rel)) pending_.insert(rel);
    }
  }
}

std::optional<Changes> Watcher::wait(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  pollfd p{fd_, POLLIN, 0};
  while (pending_.empty() && !overflow_) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return std::nullopt;
    if (::poll(&p, 1, poll_ms(left)) <= 0) return std::nullopt;  // timeout or EINTR
    drain();  // may hold only excluded paths: keep waiting
  }
  // Quiet for `debounce` (or a signal): the batch is complete. A file written without pause (a
  // log) must not hold the batch back for ever, so it closes after ten debounces at most.
  const auto cap = Clock::now() + 10 * debounce_;
  while (Clock::now() < cap && ::poll(&p, 1, poll_ms(std::min<Clock::duration>(debounce_, cap - Clock::now()))) > 0 &&
         drain()) {
  }
  Changes out{{pending_.begin(), pending_.end()}, overflow_};
  pending_.clear();
  overflow_ = false;
  return out;
}

}  // namespace svl::dev
