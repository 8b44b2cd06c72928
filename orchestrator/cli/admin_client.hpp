#pragma once
// The CLI's side of the admin API: JSON over HTTP on the daemon's unix socket (libcurl).
#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace svl::cli {

// The daemon's socket: --admin, else $SVL_ADMIN, else the default state dir's svl.sock.
std::string resolve_admin_socket(const std::string& flag_value);
std::string default_state_dir();

struct AdminReply {
  long status = 0;
  std::string body;
};

// Thrown when the daemon cannot be reached; the message says how to start it.
class DaemonUnreachable : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AdminClient {
public:
  explicit AdminClient(std::string socket_path);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  AdminReply request(std::string_view method, std::string_view path, std::string_view json_body = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Streams a response body chunk by chunk (logs -f); returns the HTTP status. A set `stop`
  // ends it within a second (status 0).
  long stream(std::string_view path, const std::function<void(std::string_view)>& on_chunk,
              const std::atomic<bool>* stop = nullptr);

  const std::string& socket_path() const { return socket_path_; }

private:
  std::string socket_path_;
  void* curl_;
};

// The "error" field of a JSON error reply, or the raw body.
std::string error_message(const AdminReply& reply);

}  // namespace svl::cli
