#pragma once
// Sockets made inside another network namespace. A replica's sandbox has a namespace of its own;
// a socket made in it (setns, socket, setns back: setns moves only the calling thread, and a socket
// keeps the namespace it was made in) reaches the app on that namespace's loopback, with no
// docker-proxy, bridge or NAT on the way. Boost-free, so the daemon can ask whether it works.
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

namespace svl::gateway {

// A network namespace held open by fd: it lives as long as this does, even once its processes
// are gone (a connect to it is then refused at once, which is what a dead replica should give).
class Netns {
public:
  // Opens `path` ("/proc/<pid>/ns/net"). Refused, with `why`, when it is not a network namespace,
  // when it no longer names `inode` (the pid was recycled; 0 skips the check), or when it is the
  // gateway's own namespace (the sandbox died and its pid went to a host process).
  static std::shared_ptr<const Netns> open(const std::string& path, std::uint64_t inode, std::string& why);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  // A non-blocking TCP socket (IPv4) made inside this namespace, or -1 with `ec`.
  int make_socket(std::error_code& ec) const;

private:
  explicit Netns(int fd) : fd_(fd) {}
  int fd_;
};

// The inode of the namespace at `path`, 0 when it cannot be read (the runtime records it with the
// sandbox, the gateway checks it before entering).
std::uint64_t netns_inode(const std::string& path);

// "" when this process may enter other network namespaces (it has CAP_SYS_ADMIN), else why not.
std::string netns_unavailable();

}  // namespace svl::gateway
