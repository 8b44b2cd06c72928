#include "tests/daemon/socket_proxy.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace svl::test {
namespace {

sockaddr_un address_of(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return addr;
}

}  // namespace

UnixSocketProxy::UnixSocketProxy(std::string listen_path, std::string target_path)
    : listen_path_(std::move(listen_path)), target_path_(std::move(target_path)) {
  listen();
}

UnixSocketProxy::~UnixSocketProxy() { cut(); }

void UnixSocketProxy::listen() {
  ::unlink(listen_path_.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
  auto addr = address_of(listen_path_);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("proxy: cannot listen on " + listen_path_);
  accepting_ = true;
  acceptor_ = std::thread([this] { accept_loop(); });
}

void UnixSocketProxy::accept_loop() {
  while (accepting_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    int upstream = ::socket(AF_UNIX, SOCK_STREAM, 0);
    auto addr = address_of(target_path_);
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(client);
      ::close(upstream);
      continue;
    }
    std::lock_guard lock(mutex_);
    fds_.push_back(client);
    fds_.push_back(upstream);
    pumps_.emplace_back([this, client, upstream] { pump(client, upstream); });
  }
}

// Copies bytes both ways until either side closes or cut() shuts the sockets down.
void UnixSocketProxy::pump(int client, int upstream) {
  char buf[64 * 1024];
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, 100) < 0) break;
    bool done = false;
    for (int i = 0; i < 2 && !done; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        done = true;
        break;
      }
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(fds[1 - i].fd, buf + off, static_cast<size_t>(n - off));
        if (w <= 0) {
          done = true;
          break;
        }
        off += w;
      }
    }
    if (done) break;
  }
  ::shutdown(client, SHUT_RDWR);
  ::shutdown(upstream, SHUT_RDWR);
}

void UnixSocketProxy::cut() {
  accepting_ = false;
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  ::unlink(listen_path_.c_str());
  std::vector<std::thread> pumps;
  std::vector<int> fds;
  {
    std::lock_guard lock(mutex_);
    pumps.swap(pumps_);
    fds.swap(fds_);
  }
  for (int fd : fds) ::shutdown(fd, SHUT_RDWR);
  for (auto& t : pumps) t.join();
  for (int fd : fds) ::close(fd);
}

void UnixSocketProxy::restore() {
  if (!accepting_) listen();
}

}  // namespace svl::test
