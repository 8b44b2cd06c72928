#pragma once
// The admin API's transport: HTTP/1.1 over a unix socket (mode 0660). Routing and
// behaviour live in the handler (admin_api.cpp); this file only moves bytes.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace svl::orchestrator {

struct AdminRequest {
  std::string method;
  std::string path;  // decoded path, without the query
  std::map<std::string, std::string> query;
  std::string body;
};

struct AdminResponse {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Set for streamed bodies (logs): each call yields the next chunk; nullopt ends the stream.
  std::function<boost::asio::awaitable<std::optional<std::string>>()> next_chunk;
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
  void stop();

private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace svl::orchestrator
