#include "orchestrator/daemon/cron_call.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/svl_calls.hpp"
#include "orchestrator/registry/cron_runs.hpp"

namespace svl::orchestrator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kBodyLimit = 64 * 1024;  // a cron answer is read for its error text only

CallResult transport_error(const boost::system::error_code& ec, std::string_view what) {
  CallResult r;
  r.cancelled = ec == asio::error::operation_aborted;
  r.timed_out = ec == beast::error::timeout;
  r.detail = std::string(what) + ": " + (r.timed_out ? std::string("no answer before the deadline") : ec.message());
  return r;
}

}  // namespace

asio::awaitable<CallResult> call_through_gateway(GatewayCall call) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(call.deadline);
  const asio::ip::tcp::endpoint gateway(asio::ip::make_address(call.host), call.port);
  if (auto [ec] = co_await stream.async_connect(gateway, nothrow); ec) co_return transport_error(ec, "connect to the gateway");

  const auto method = http::string_to_verb(call.cron.method);
  http::request<http::string_body> req{method == http::verb::unknown ? http::verb::post : method,
                                       "/fn/" + call.function + call.cron.path, 11};
  req.set(http::field::host, call.host + ":" + std::to_string(call.port));
  for (const auto& [name, value] : call.cron.headers) req.set(name, value);
  req.set(gateway::internal_header, call.token);
  req.set(gateway::cron_header, call.cron.trigger());
  req.set(gateway::timeout_header, std::to_string(call.upstream_timeout.count()));
  req.set(http::field::user_agent, "svl-cron");
  req.keep_alive(false);
  if (call.cron.body) req.body() = *call.cron.body;
  req.prepare_payload();
  if (auto [ec, n] = co_await http::async_write(stream, req, nothrow); ec) co_return transport_error(ec, "send the call");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow);
  // Once the header is in, the status stands (a body cut short or over the limit changes nothing).
  if (ec && !parser.is_header_done()) co_return transport_error(ec, "read the answer");
  CallResult r;
  r.status = static_cast<int>(parser.get().result_int());
  r.timed_out = *r.status == 504;
  if (*r.status >= 400) {
    r.detail = "HTTP " + std::to_string(*r.status);
    const auto& body = parser.get().body();
    if (!body.empty()) r.detail += ": " + body.substr(0, kCronDetailBytes);
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return r;
}

}  // namespace svl::orchestrator
