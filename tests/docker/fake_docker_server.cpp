#include "tests/docker/fake_docker_server.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace svl::docker::testing {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using local = net::local::stream_protocol;
constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);

}  // namespace

struct FakeDockerServer::Impl {
  Handler handler;
  std::string api_version;
  std::filesystem::path dir;
  std::string socket_path;
  net::io_context ioc;
  local::acceptor acceptor{ioc};
  std::thread thread;
  mutable std::mutex mutex;
  std::vector<RecordedRequest> requests;
  std::atomic<std::size_t> connections{0};

  FakeReply reply_for(const RecordedRequest& req) {
    if (auto r = handler(req)) return *r;
    if (req.path() == "/_ping") {
      FakeReply r;
      r.body = "OK";
      r.content_type = "text/plain";
      r.headers["API-Version"] = api_version;
      r.headers["OSType"] = "linux";
      return r;
    }
    return FakeReply::error(404, "page not found");
  }

  net::awaitable<void> session(local::socket socket) {
    boost::beast::flat_buffer buffer;
    net::steady_timer timer(socket.get_executor());
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(256 * 1024 * 1024);
      auto [ec, n] = co_await http::async_read(socket, buffer, parser, tuple_awaitable);
      if (ec) co_return;
      auto& msg = parser.get();
      RecordedRequest req{std::string(msg.method_string()), std::string(msg.target()), msg.body()};
      {
        std::lock_guard lock(mutex);
        requests.push_back(req);
      }
      FakeReply reply = reply_for(req);
      if (reply.hang) {
        timer.expires_after(std::chrono::hours(1));  // cancelled when the server stops
        co_await timer.async_wait(tuple_awaitable);
        co_return;
      }
      if (reply.raw) {
        co_await net::async_write(socket, net::buffer(*reply.raw), tuple_awaitable);
        co_return;  // closes
      }
      http::response<http::empty_body> head{static_cast<http::status>(reply.status), 11};
      head.set(http::field::content_type, reply.content_type);
      for (const auto& [k, v] : reply.headers) head.set(k, v);
      if (reply.chunks.empty()) {
        http::response<http::string_body> res{head};
        res.body() = reply.body;
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(socket, res, tuple_awaitable);
        if (wec) co_return;
        continue;
      }
      head.chunked(true);
      http::response_serializer<http::empty_body> sr{head};
      if (auto [wec, wn] = co_await http::async_write_header(socket, sr, tuple_awaitable); wec) co_return;
      for (const auto& piece : reply.chunks) {
        if (reply.chunk_delay.count() > 0) {
          timer.expires_after(reply.chunk_delay);
          co_await timer.async_wait(tuple_awaitable);
        }
        auto [cec, cn] = co_await net::async_write(socket, http::make_chunk(net::buffer(piece)), tuple_awaitable);
        if (cec) co_return;
      }
      if (reply.cut_stream) co_return;
      if (reply.hang_after_chunks) {
        timer.expires_after(std::chrono::hours(1));
        co_await timer.async_wait(tuple_awaitable);
        co_return;
      }
      co_await net::async_write(socket, http::make_chunk_last(), tuple_awaitable);
    }
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(tuple_awaitable);
      if (ec) co_return;
      ++connections;
      net::co_spawn(ioc, session(std::move(socket)), net::detached);
    }
  }
};

FakeDockerServer::FakeDockerServer(Handler handler, std::string api_version) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->api_version = std::move(api_version);
  std::string templ = (std::filesystem::temp_directory_path() / "svl-fake-docker-XXXXXX").string();
  if (!::mkdtemp(templ.data())) std::abort();
  impl_->dir = templ;
  impl_->socket_path = (impl_->dir / "docker.sock").string();
  local::endpoint endpoint(impl_->socket_path);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

FakeDockerServer::~FakeDockerServer() {
  impl_->ioc.stop();  // drops hanging sessions too
  impl_->thread.join();
  std::error_code ec;
  std::filesystem::remove_all(impl_->dir, ec);
}

std::string FakeDockerServer::host() const { return "unix://" + impl_->socket_path; }

std::vector<RecordedRequest> FakeDockerServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::size_t FakeDockerServer::connections() const { return impl_->connections.load(); }

}  // namespace svl::docker::testing
