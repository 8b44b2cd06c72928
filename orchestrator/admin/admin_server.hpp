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
  void stop();

private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace svl::orchestrator
