#pragma once
// The CLI's side of the admin API: JSON over HTTP on the daemon's unix socket, or over HTTPS to a
// remote daemon with a token and the daemon's certificate pinned by fingerprint (libcurl).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "orchestrator/cli/contexts.hpp"

struct curl_slist;

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

// Thrown when a remote daemon's certificate is not the pinned one; the message says how to re-trust.
class CertificateChanged : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AdminClient {
public:
  explicit AdminClient(AdminTarget target);
  explicit AdminClient(std::string socket_path) : AdminClient(AdminTarget{std::move(socket_path), {}, {}}) {}
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  AdminReply request(std::string_view method, std::string_view path, std::string_view json_body = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Streams a response body chunk by chunk (logs -f); returns the HTTP status. A set `stop`
  // ends it within a second (status 0).
  long stream(std::string_view path, const std::function<void(std::string_view)>& on_chunk,
              const std::atomic<bool>* stop = nullptr);
  // POSTs the file (a build context), read as it is sent, and streams the answer as stream()
  // does. "Expect: 100-continue" lets the daemon refuse (401, 413) before the body is sent.
  long upload(std::string_view path, const std::filesystem::path& file, std::string_view content_type,
              const std::function<void(std::string_view)>& on_chunk);

  // A remote target's certificate fingerprint as it is seen now, pinned or not (svl context add's
  // first contact: ssh's accept-new). Sends no token.
  std::string probe_fingerprint();

  const AdminTarget& target() const { return target_; }

  // What the TLS verify callback compares and records.
  struct Pin {
    std::string expected;  // "" : accept any (probe_fingerprint)
    std::string seen;
  };

private:
  // Points the handle at `path` on the target (socket or URL, pin, token); returns the headers
  // to free after the transfer.
  ::curl_slist* prepare(std::string_view path, bool with_token);
  long transfer(std::string_view path, const std::function<void(std::string_view)>& on_chunk, const std::atomic<bool>* stop,
                std::FILE* body, std::string_view content_type);
  [[noreturn]] void fail(std::string_view what, int code);
  AdminTarget target_;
  Pin pin_;
  void* curl_;
};

// The "error" field of a JSON error reply, or the raw body.
std::string error_message(const AdminReply& reply);

}  // namespace svl::cli
