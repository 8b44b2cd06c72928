// Readiness probe: an HTTP GET polled until a response below 500 or a deadline. A TCP connect is
// not readiness (Docker's userland proxy accepts before the app listens).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include "gateway/gateway_impl.hpp"

namespace svl::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// One attempt: returns the status, or 0 with `detail` set.
asio::awaitable<unsigned> probe_once(const tcp::endpoint& ep, const Netns* ns, const std::string& host,
                                     const std::string& path, std::string& detail) {
  auto ex = co_await asio::this_coro::executor;
  tcp::socket socket(ex);
  if (auto oec = open_socket(socket, ns)) {
    detail = "socket: " + oec.message();
    co_return 0;
  }
  auto [cec] = co_await socket.async_connect(ep, nothrow);
  if (cec) {
    detail = "connect: " + cec.message();
    co_return 0;
  }
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "svl-probe");
  req.keep_alive(false);
  auto [wec, wn] = co_await http::async_write(socket, req, nothrow);
  if (wec) {
    detail = "write: " + wec.message();
    co_return 0;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.header_limit(64 * 1024);
  auto [rec, rn] = co_await http::async_read_header(socket, buffer, parser, nothrow);
  if (rec) {
    detail = "read: " + rec.message();
    co_return 0;
  }
  detail = "HTTP " + std::to_string(parser.get().result_int());
  co_return parser.get().result_int();
}

asio::awaitable<void> probe_loop(std::shared_ptr<Gateway::Impl> impl, ReplicaEndpoint endpoint, std::string path,
                                 std::chrono::milliseconds interval, std::chrono::steady_clock::time_point deadline,
                                 std::function<void(bool, std::string)> done) {
  auto ex = co_await asio::this_coro::executor;
  const auto ep = endpoint_address(endpoint);
  const auto host = endpoint.host + ":" + std::to_string(endpoint.port);
  std::string detail = "no attempt before the deadline";
  // The same path as requests take: inside the sandbox's namespace when it has one.
  std::shared_ptr<const Netns> ns;
  if (!endpoint.netns.empty() && !(ns = Netns::open(endpoint.netns, endpoint.netns_inode, detail))) {
    done(false, detail);
    co_return;
  }
  asio::steady_timer timer(ex);
  while (!impl->stopping.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    // Each attempt is bounded by the deadline (an app that accepts and never answers).
    timer.expires_at(deadline);
    std::string attempt_detail;
    auto r = co_await (probe_once(ep, ns.get(), host, path, attempt_detail) || timer.async_wait(nothrow));
    if (r.index() == 1) {
      detail = "no answer before the deadline (" + detail + ")";
      break;
    }
    const unsigned status = std::get<0>(r);
    detail = attempt_detail;
    if (status != 0 && status < 500) {
      done(true, detail);
      co_return;
    }
    const auto next = std::min(std::chrono::steady_clock::now() + interval, deadline);
    timer.expires_at(next);
    co_await timer.async_wait(nothrow);
  }
  // Always answered, also while the gateway stops: the caller awaits it.
  done(false, impl->stopping.load() ? "gateway is stopping" : detail);
}

}  // namespace

void run_probe(std::shared_ptr<Gateway::Impl> impl, ReplicaEndpoint endpoint, std::string path,
               std::chrono::milliseconds interval, std::chrono::steady_clock::time_point deadline,
               std::function<void(bool, std::string)> done) {
  auto* worker = impl->probe_worker();
  if (!worker) {
    done(false, "gateway is not running");
    return;
  }
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  asio::co_spawn(worker->ioc, probe_loop(impl, std::move(endpoint), std::move(path), interval, deadline, std::move(done)),
                 asio::detached);
}

}  // namespace svl::gateway
