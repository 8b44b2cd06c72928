#include "upstream_server.hpp"

#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace svl::gateway::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

struct UpstreamServer::Impl {
  UpstreamServer& self;
  std::string id;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  explicit Impl(UpstreamServer& s, std::string i) : self(s), id(std::move(i)) {}
};

namespace {

struct InflightGuard {
  UpstreamServer& s;
  explicit InflightGuard(UpstreamServer& u) : s(u) {
    const int now = ++s.inflight;
    int prev = s.max_inflight.load();
    while (now > prev && !s.max_inflight.compare_exchange_weak(prev, now)) {
    }
  }
  ~InflightGuard() { --s.inflight; }
};

int query_int(std::string_view target, std::string_view key, int def) {
  auto pos = target.find(std::string(key) + "=");
  if (pos == std::string_view::npos) return def;
  return std::atoi(std::string(target.substr(pos + key.size() + 1)).c_str());
}

asio::awaitable<void> sleep_ms(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(nothrow);
}

asio::awaitable<void> websocket_echo(tcp::socket socket, http::request<http::string_body> req) {
  beast::websocket::stream<tcp::socket> ws(std::move(socket));
  auto [ec] = co_await ws.async_accept(req, nothrow);
  if (ec) co_return;
  beast::flat_buffer buf;
  for (;;) {
    auto [rec, n] = co_await ws.async_read(buf, nothrow);
    if (rec) co_return;
    ws.text(ws.got_text());
    auto [wec, wn] = co_await ws.async_write(buf.data(), nothrow);
    if (wec) co_return;
    buf.consume(buf.size());
  }
}

asio::awaitable<void> session(UpstreamServer::Impl& impl, tcp::socket socket) {
  auto& s = impl.self;
  ++s.connections;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::buffer_body> p;
    p.body_limit(boost::none);
    auto [ec, n] = co_await http::async_read_header(socket, buffer, p, nothrow);
    if (ec) co_return;
    ++s.requests;
    InflightGuard guard(s);
    const std::string target(p.get().target());
    // Read (and count) the body in pieces: never buffered whole.
    std::uint64_t body_bytes = 0;
    char chunk[16384];
    while (!p.is_done()) {
      p.get().body().data = chunk;
      p.get().body().size = sizeof chunk;
      auto [bec, bn] = co_await http::async_read(socket, buffer, p, nothrow);
      if (bec && bec != http::error::need_buffer) co_return;
      body_bytes += sizeof chunk - p.get().body().size;
    }
    http::response<http::string_body> res{http::status::ok, 11};
    res.set("X-Upstream", impl.id);
    res.keep_alive(p.get().keep_alive());
    if (target.starts_with("/slow")) {
      co_await sleep_ms(query_int(target, "ms", 100));
      res.body() = impl.id;
    } else if (target.starts_with("/upload")) {
      s.uploaded = body_bytes;
      s.upload_was_chunked = p.chunked();
      res.body() = std::to_string(body_bytes);
    } else if (target.starts_with("/reset")) {
      socket.set_option(asio::socket_base::linger(true, 0));
      co_return;  // closes without an answer
    } else if (target.starts_with("/hang")) {
      char c;
      auto [hec, hn] = co_await socket.async_read_some(asio::buffer(&c, 1), nothrow);
      if (hec) ++s.hang_cancelled;
      co_return;
    } else if (target.starts_with("/status/")) {
      res.result(static_cast<unsigned>(std::atoi(target.c_str() + 8)));
      res.body() = "status";
    } else if (target.starts_with("/ws")) {
      http::request<http::string_body> up{p.get().method(), p.get().target(), 11};
      for (auto& f : p.get()) up.set(f.name_string(), f.value());
      co_await websocket_echo(std::move(socket), std::move(up));
      co_return;
    } else if (target.starts_with("/sse") || target.starts_with("/chunked")) {
      const bool sse = target.starts_with("/sse");
      http::response<http::empty_body> head{http::status::ok, 11};
      head.set("X-Upstream", impl.id);
      head.set(http::field::content_type, sse ? "text/event-stream" : "text/plain");
      head.chunked(true);
      http::response_serializer<http::empty_body> sr{head};
      auto [hec, hn] = co_await http::async_write_header(socket, sr, nothrow);
      if (hec) co_return;
      for (int i = 0; i < 3; ++i) {
        std::string data = sse ? "data: event " + std::to_string(i) + "\n\n" : "part" + std::to_string(i) + ";";
        auto [cec, cn] = co_await asio::async_write(socket, http::make_chunk(asio::buffer(data)), nothrow);
        if (cec) co_return;
        if (i < 2) co_await sleep_ms(sse ? query_int(target, "gap", 300) : 5);
      }
      auto [lec, ln] = co_await asio::async_write(socket, http::make_chunk_last(), nothrow);
      if (lec) co_return;
      continue;
    } else {
      nlohmann::json j;
      j["id"] = impl.id;
      j["method"] = std::string(p.get().method_string());
      j["target"] = target;
      j["body_bytes"] = body_bytes;
      j["chunked"] = p.chunked();
      boost::system::error_code pec;
      j["peer_port"] = socket.remote_endpoint(pec).port();  // the gateway's end of this connection
      for (auto& f : p.get()) j["headers"][std::string(f.name_string())] = std::string(f.value());
      res.set(http::field::content_type, "application/json");
      res.body() = j.dump();
    }
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(socket, res, nothrow);
    if (wec || !res.keep_alive()) co_return;
  }
}

asio::awaitable<void> accept_loop(UpstreamServer::Impl& impl) {
  for (;;) {
    auto [ec, socket] = co_await impl.acceptor.async_accept(nothrow);
    if (ec) co_return;
    asio::co_spawn(impl.ioc, session(impl, std::move(socket)), asio::detached);
  }
}

}  // namespace

UpstreamServer::UpstreamServer(std::string id) : impl_(std::make_unique<Impl>(*this, std::move(id))) {
  tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->ioc, accept_loop(*impl_), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

UpstreamServer::~UpstreamServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t UpstreamServer::port() const { return impl_->acceptor.local_endpoint().port(); }
const std::string& UpstreamServer::id() const { return impl_->id; }

}  // namespace svl::gateway::test
