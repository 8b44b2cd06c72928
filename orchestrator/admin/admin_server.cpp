#include "orchestrator/admin/admin_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <system_error>

namespace svl::orchestrator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using local = asio::local::stream_protocol;
using Stream = beast::basic_stream<local, asio::any_io_executor, beast::unlimited_rate_policy>;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr auto kReadTimeout = std::chrono::seconds(30);

AdminRequest to_admin_request(const http::request<http::string_body>& req) {
  AdminRequest out;
  out.method = std::string(req.method_string());
  out.body = req.body();
  auto parsed = boost::urls::parse_origin_form(req.target());
  if (parsed) {
    out.path = std::string(parsed->path());
    for (auto param : parsed->params()) out.query[std::string(param.key)] = std::string(param.value);
  } else {
    out.path = std::string(req.target());
  }
  return out;
}

http::response<http::string_body> error_response(unsigned status, std::string message, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  res.body() = "{\"error\":\"" + escaped + "\"}";
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Writes a streamed body with chunked encoding, chunk by chunk as the handler yields them.
asio::awaitable<bool> write_streamed(Stream& stream, AdminResponse& response, bool keep_alive) {
  http::response<http::empty_body> head{static_cast<http::status>(response.status), 11};
  head.set(http::field::content_type, response.content_type);
  head.chunked(true);
  head.keep_alive(keep_alive);
  http::response_serializer<http::empty_body> sr{head};
  stream.expires_never();
  auto [ec, n] = co_await http::async_write_header(stream, sr, use_tuple);
  if (ec) co_return false;
  while (auto chunk = co_await response.next_chunk()) {
    if (chunk->empty()) continue;
    auto [wec, wn] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(*chunk)), use_tuple);
    if (wec) co_return false;
  }
  auto [lec, ln] = co_await asio::async_write(stream, http::make_chunk_last(), use_tuple);
  co_return !lec;
}

}  // namespace

struct AdminServer::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor executor;
  std::string path;
  AdminHandler handler;
  std::uint64_t body_limit;
  local::acceptor acceptor;

  Impl(asio::any_io_executor ex, std::string p, AdminHandler h, std::uint64_t limit)
      : executor(ex), path(std::move(p)), handler(std::move(h)), body_limit(limit), acceptor(ex) {}

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;
      asio::co_spawn(executor, session(Stream(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> session(Stream stream) {
    auto self = shared_from_this();
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(body_limit);
      stream.expires_after(kReadTimeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (ec == http::error::end_of_stream || ec == beast::error::timeout) break;
      if (ec == http::error::body_limit) {
        auto res = error_response(413, "request body larger than " + std::to_string(body_limit) + " bytes", false);
        co_await http::async_write(stream, res, use_tuple);
        break;
      }
      if (ec) {
        auto res = error_response(400, "malformed request: " + ec.message(), false);
        co_await http::async_write(stream, res, use_tuple);
        break;
      }
      auto req = parser.release();
      bool keep_alive = req.keep_alive();
      AdminResponse response;
      try {
        auto admin_request = to_admin_request(req);  // not a temporary in co_await (GCC 12 bug)
        response = co_await handler(std::move(admin_request));
      } catch (const std::exception& e) {
        response.status = 500;
        response.body = error_response(500, std::string("internal error: ") + e.what(), true).body();
      }
      if (response.next_chunk) {
        if (!co_await write_streamed(stream, response, keep_alive)) break;
      } else {
        http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
        res.set(http::field::content_type, response.content_type);
        res.body() = std::move(response.body);
        res.keep_alive(keep_alive);
        res.prepare_payload();
        stream.expires_after(kReadTimeout);
        auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
        if (wec) break;
      }
      if (!keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(local::socket::shutdown_both, ignored);
  }
};

AdminServer::AdminServer(asio::any_io_executor executor, std::string socket_path, AdminHandler handler,
                         std::uint64_t body_limit)
    : impl_(std::make_shared<Impl>(executor, std::move(socket_path), std::move(handler), body_limit)) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
  auto& path = impl_->path;
  // A socket file left by a crashed daemon is replaced; one that answers belongs to a live daemon.
  if (::access(path.c_str(), F_OK) == 0) {
    local::socket probe(impl_->executor);
    boost::system::error_code ec;
    probe.connect(local::endpoint(path), ec);
    if (!ec) {
      throw std::system_error(std::make_error_code(std::errc::address_in_use),
                              "another svl daemon is already serving the admin socket " + path);
    }
    ::unlink(path.c_str());
  }
  local::endpoint endpoint(path);
  impl_->acceptor.open(endpoint.protocol());
  boost::system::error_code ec;
  impl_->acceptor.bind(endpoint, ec);
  if (ec) throw std::system_error(ec, "cannot bind the admin socket " + path);
  ::chmod(path.c_str(), 0660);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(impl_->executor, impl_->accept_loop(), asio::detached);
}

void AdminServer::stop() {
  if (!impl_ || !impl_->acceptor.is_open()) return;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  ::unlink(impl_->path.c_str());
}

}  // namespace svl::orchestrator
