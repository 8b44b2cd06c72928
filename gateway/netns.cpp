#include "gateway/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace svl::gateway {

namespace {

// The process's own namespace, where every gateway thread lives and returns to.
int own_netns() {
  static const int fd = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  return fd;
}

std::uint64_t inode_of(int fd) {
  struct stat st{};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

std::shared_ptr<const Netns> Netns::open(const std::string& path, std::uint64_t inode, std::string& why) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = errno_text(("open " + path).c_str());
    return nullptr;
  }
  auto ns = std::shared_ptr<const Netns>(new Netns(fd));
  const std::uint64_t found = inode_of(fd);
  if (found == 0 || (inode != 0 && found != inode)) {
    why = path + " is no longer the sandbox's network namespace (its process is gone)";
    return nullptr;
  }
  if (found == inode_of(own_netns())) {
    why = path + " is the gateway's own network namespace (the sandbox's process is gone)";
    return nullptr;
  }
  return ns;
}

Netns::~Netns() { ::close(fd_); }

int Netns::make_socket(std::error_code& ec) const {
  if (::setns(fd_, CLONE_NEWNET) != 0) {
    ec = std::error_code(errno, std::system_category());
    return -1;
  }
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int socket_errno = errno;
  // The thread must be back home before anything else runs on it: every other socket it makes
  // (clients, other functions) belongs to the host. Entering our own namespace cannot fail once
  // entering another one did, so a failure here is a broken invariant, not an outside error.
  if (::setns(own_netns(), CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "svl gateway: cannot return to its own network namespace: %s\n", std::strerror(errno));
    std::abort();
  }
  if (s < 0) ec = std::error_code(socket_errno, std::system_category());
  return s;
}

std::uint64_t netns_inode(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

std::string netns_unavailable() {
  if (own_netns() < 0) return errno_text("open /proc/self/ns/net");
  // Entering a namespace needs CAP_SYS_ADMIN, even our own: the same check as entering a sandbox's.
  if (::setns(own_netns(), CLONE_NEWNET) != 0) return errno_text("setns (needs CAP_SYS_ADMIN)");
  return {};
}

}  // namespace svl::gateway
