#include "orchestrator/admin/admin_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <filesystem>
#include <system_error>

namespace svl::orchestrator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using local = asio::local::stream_protocol;
using tcp = asio::ip::tcp;
using LocalStream = beast::basic_stream<local, asio::any_io_executor, beast::unlimited_rate_policy>;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kShutdownTimeout = std::chrono::seconds(2);

AdminRequest to_admin_request(const http::request_header<>& req, std::string peer) {
  AdminRequest out;
  out.method = std::string(req.method_string());
  out.peer = std::move(peer);
  out.authorization = std::string(req[http::field::authorization]);
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

http::response<http::string_body> to_http(AdminResponse response, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
  res.set(http::field::content_type, response.content_type);
  if (response.retry_after) res.set(http::field::retry_after, std::to_string(*response.retry_after));
  res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

AdminResponse plain_error(unsigned status, std::string message) {
  AdminResponse out;
  out.status = status;
  out.body = error_response(status, std::move(message), false).body();
  return out;
}

// An upload's file on disk, removed when the request is done with.
struct Spool {
  std::string path;
  Spool() = default;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

// Writes a streamed body with chunked encoding, chunk by chunk as the handler yields them.
template <class Stream>
asio::awaitable<bool> write_streamed(Stream& stream, AdminResponse& response, bool keep_alive) {
  http::response<http::empty_body> head{static_cast<http::status>(response.status), 11};
  head.set(http::field::content_type, response.content_type);
  head.chunked(true);
  head.keep_alive(keep_alive);
  http::response_serializer<http::empty_body> sr{head};
  beast::get_lowest_layer(stream).expires_never();
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

  tcp::acceptor tls_acceptor{executor};
  std::optional<asio::ssl::context> tls;

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;
      asio::co_spawn(executor, serve_local(LocalStream(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> accept_tls_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await tls_acceptor.async_accept(use_tuple);
      if (ec == asio::error::operation_aborted || !tls_acceptor.is_open()) co_return;
      if (ec) continue;
      asio::co_spawn(executor, serve_tls(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve_local(LocalStream stream) {
    auto self = shared_from_this();
    co_await serve(stream, std::string());
    beast::error_code ignored;
    stream.socket().shutdown(local::socket::shutdown_both, ignored);
  }

  asio::awaitable<void> serve_tls(tcp::socket socket) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) co_return;
    std::string peer = remote.address().to_string();
    TlsStream stream(beast::tcp_stream(std::move(socket)), *tls);
    auto& tcp_layer = beast::get_lowest_layer(stream);
    tcp_layer.expires_after(kHandshakeTimeout);
    // Plain HTTP sent here: a TLS record starts with 0x16, a request with a method's letter.
    auto [wec] = co_await tcp_layer.socket().async_wait(tcp::socket::wait_read, use_tuple);
    unsigned char first = 0;
    if (wec || ::recv(tcp_layer.socket().native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1) co_return;
    if (first != 0x16) {
      if (first >= 'A' && first <= 'Z') {
        auto res = error_response(400, "plain HTTP sent to the admin API's HTTPS port: use https://", false);
        co_await http::async_write(tcp_layer, res, use_tuple);
      }
      co_return;
    }
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (hec) co_return;
    const bool clean = co_await serve(stream, std::move(peer));
    if (!clean) co_return;
    tcp_layer.expires_after(kShutdownTimeout);  // close_notify; the client's answer is not awaited long
    co_await stream.async_shutdown(use_tuple);
  }

  std::optional<UploadRoute> upload;
  std::uint64_t spooled = 0;  // names the spool files

  // Reads the body of an upload into a file under upload->spool_dir, once admit lets it through.
  // nullopt when it is whole (request.body_file names it); else the answer, after which the
  // connection ends (the body has not been read, or only in part).
  template <class Stream>
  asio::awaitable<std::optional<AdminResponse>> read_upload(Stream& stream, beast::flat_buffer& buffer,
                                                             http::request_parser<http::empty_body>& head,
                                                             AdminRequest& request, Spool& spool) {
    auto& lowest = beast::get_lowest_layer(stream);
    if (auto refused = upload->admit(request)) co_return refused;
    const auto length = head.content_length();
    if (!length) co_return plain_error(411, "an upload needs a Content-Length");
    if (*length > upload->limit)
      co_return plain_error(413, "the upload is " + std::to_string(*length) + " bytes, more than this daemon's limit of " +
                                     std::to_string(upload->limit) + " (max_build_context)");
    if (beast::iequals(head.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      lowest.expires_after(kReadTimeout);
      auto [cec, cn] = co_await http::async_write(stream, go_on, use_tuple);
      if (cec) co_return plain_error(400, "the client left: " + cec.message());
    }
    spool.path = upload->spool_dir + "/upload-" + std::to_string(::getpid()) + "-" + std::to_string(++spooled) + ".tar";
    http::request_parser<http::file_body> parser{std::move(head)};
    parser.body_limit(upload->limit);
    beast::error_code ec;
    parser.get().body().open(spool.path.c_str(), beast::file_mode::write_new, ec);
    if (ec) {
      spool.path.clear();  // not ours to remove
      co_return plain_error(500, "cannot spool the upload under " + upload->spool_dir + ": " + ec.message());
    }
    while (!parser.is_done()) {  // an idle timeout per read: a big context on a slow link takes minutes
      lowest.expires_after(kReadTimeout);
      auto [rec, rn] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
      if (rec) co_return plain_error(400, "the upload broke off: " + rec.message());
    }
    parser.get().body().close();
    request.body_file = spool.path;
    co_return std::nullopt;
  }

  // Serves requests until the client leaves; false when the connection broke (no TLS shutdown).
  template <class Stream>
  asio::awaitable<bool> serve(Stream& stream, std::string peer) {
    auto& lowest = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    bool clean = true;
    for (;;) {
      http::request_parser<http::empty_body> head;
      head.header_limit(16 * 1024);
      head.body_limit(boost::none);  // the body's parser has the limit: an upload's, or body_limit
      lowest.expires_after(kReadTimeout);
      auto [ec, n] = co_await http::async_read_header(stream, buffer, head, use_tuple);
      if (ec == http::error::end_of_stream) break;
      if (ec == beast::error::timeout) {
        clean = false;
        break;
      }
      if (ec) {
        auto res = error_response(400, "malformed request: " + ec.message(), false);
        co_await http::async_write(stream, res, use_tuple);
        clean = false;
        break;
      }
      auto request = to_admin_request(head.get(), peer);
      Spool spool;  // an upload's file lives until its answer has been sent
      const bool keep_alive = head.get().keep_alive();
      std::optional<AdminResponse> early;  // refused, or the body could not be read: then the connection ends
      if (upload && request.path == upload->path) {
        early = co_await read_upload(stream, buffer, head, request, spool);
      } else if (head.content_length().value_or(0) > body_limit) {
        early = plain_error(413, "request body larger than " + std::to_string(body_limit) + " bytes");
      } else {
        http::request_parser<http::string_body> parser{std::move(head)};
        parser.body_limit(body_limit);
        lowest.expires_after(kReadTimeout);
        auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_tuple);
        if (bec == beast::error::timeout) {
          clean = false;
          break;
        }
        if (bec == http::error::body_limit)
          early = plain_error(413, "request body larger than " + std::to_string(body_limit) + " bytes");
        else if (bec)
          early = plain_error(400, "malformed request: " + bec.message());
        else
          request.body = std::move(parser.get().body());
      }
      if (early) {
        auto res = to_http(std::move(*early), false);
        lowest.expires_after(kReadTimeout);
        co_await http::async_write(stream, res, use_tuple);
        clean = false;
        break;
      }
      AdminResponse response;
      try {
        response = co_await handler(std::move(request));
      } catch (const std::exception& e) {
        response.status = 500;
        response.body = error_response(500, std::string("internal error: ") + e.what(), true).body();
      }
      if (response.next_chunk) {
        if (!co_await write_streamed(stream, response, keep_alive)) {
          clean = false;
          break;
        }
      } else {
        auto res = to_http(std::move(response), keep_alive);
        lowest.expires_after(kReadTimeout);
        auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
        if (wec) {
          clean = false;
          break;
        }
      }
      if (!keep_alive) break;
    }
    co_return clean;
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

std::uint16_t AdminServer::listen_tls(const std::string& host, std::uint16_t port, ssl_ctx_st* tls) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  const std::string where = host + ":" + std::to_string(port);
  if (ec) throw std::system_error(ec, "the admin listen address " + where + " is not a numeric address");
  SSL_CTX_up_ref(tls);  // asio's context frees the one it holds
  impl_->tls.emplace(tls);
  const tcp::endpoint endpoint(address, port);
  auto& a = impl_->tls_acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + where + " for the admin API");
  asio::co_spawn(impl_->executor, impl_->accept_tls_loop(), asio::detached);
  return a.local_endpoint().port();
}

void AdminServer::accept_uploads(UploadRoute route) {
  std::error_code ec;
  std::filesystem::create_directories(route.spool_dir, ec);
  if (ec) throw std::system_error(ec, "cannot make the upload folder " + route.spool_dir);
  for (const auto& entry : std::filesystem::directory_iterator(route.spool_dir, ec))  // a crashed run's
    if (entry.path().filename().string().starts_with("upload-")) std::filesystem::remove(entry.path(), ec);
  impl_->upload = std::move(route);
}

void AdminServer::stop() {
  if (!impl_) return;
  boost::system::error_code ec;
  impl_->tls_acceptor.close(ec);
  if (!impl_->acceptor.is_open()) return;
  impl_->acceptor.close(ec);
  ::unlink(impl_->path.c_str());
}

}  // namespace svl::orchestrator
