#pragma once
// A unix-socket forwarder in front of dockerd, so a test can make Docker "unavailable" for one
// daemon (cut) and bring it back (restore) without touching the system's dockerd.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace svl::test {

class UnixSocketProxy {
public:
  UnixSocketProxy(std::string listen_path, std::string target_path);
  ~UnixSocketProxy();
  UnixSocketProxy(const UnixSocketProxy&) = delete;
  UnixSocketProxy& operator=(const UnixSocketProxy&) = delete;

  void cut();      // refuse new connections and drop every forwarded one
  void restore();  // accept again
  const std::string& path() const { return listen_path_; }

private:
  void listen();
  void accept_loop();
  void pump(int client, int upstream);

  std::string listen_path_, target_path_;
  std::atomic<bool> accepting_{false};
  int listen_fd_ = -1;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> pumps_;
};

}  // namespace svl::test
