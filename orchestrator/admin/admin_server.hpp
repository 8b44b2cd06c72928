#pragma once
// The admin API's transport: HTTP/1.1 over a unix socket (mode 0660), and over TLS on a TCP port
// for remote use (docs/remote.md). Routing, authentication and behaviour live in the handler
// (admin_api.cpp); this file only moves bytes.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

struct ssl_ctx_st;

namespace svl::orchestrator {

struct AdminRequest {
  std::string method;
  std::string path;  // decoded path, without the query
  std::map<std::string, std::string> query;
  std::string body;
  // "" for the unix socket (trusted by its file mode); the client's IP address for TLS.
  std::string peer;
  std::string authorization;  // the Authorization header
  std::string body_file;      // an upload's body, spooled to disk (UploadRoute); removed after the answer
  bool remote() const { return !peer.empty(); }
};

struct AdminResponse {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Set for streamed bodies (logs): each call yields the next chunk; nullopt ends the stream.
  std::function<boost::asio::awaitable<std::optional<std::string>>()> next_chunk;
  std::optional<unsigned> retry_after;  // seconds, for 429
};

using AdminHandler = std::function<boost::asio::awaitable<AdminResponse>(AdminRequest)>;

// A route whose request bodies are large (build contexts): spooled to a file, read with an idle
// timeout instead of a total one, and read only once `admit` has let the header through, so that
// a client without the right token cannot fill the disk. With "Expect: 100-continue" a refused
// client sends no body at all.
struct UploadRoute {
  std::string path;                  // "/v1/builds"
  std::string spool_dir;             // made if missing; leftovers of an earlier run are removed
  std::uint64_t limit = 512ull << 20;
  std::function<std::optional<AdminResponse>(const AdminRequest&)> admit;  // nullopt: read the body
};

class AdminServer {
public:
  AdminServer(boost::asio::any_io_executor executor, std::string socket_path, AdminHandler handler,
              std::uint64_t body_limit = 8u << 20);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds the socket (replacing a stale one, refusing if another daemon answers on it)
  // and starts accepting. Throws std::system_error naming the path on failure.
  void start();
  // Also serves the API over TLS on host:port (numeric host; port 0: any), with the server context `tls`
  // (which must outlive the server). Plain HTTP there gets a 400 that says to use https.
  // Throws std::system_error naming the address on failure. Returns the bound port.
  std::uint16_t listen_tls(const std::string& host, std::uint16_t port, ssl_ctx_st* tls);
  // Spools the bodies of requests to route.path to disk (AdminRequest::body_file). Before start().
  void accept_uploads(UploadRoute route);
  void stop();

private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace svl::orchestrator
