// {{name}}: an svl function in C++20 with Boost.Beast coroutines.
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::string_view function_name = "{{name}}";

// The function: request in, response out. Connection handling is below, apart from it.
http::message_generator handle(const http::request<http::string_body>& req) {
  auto respond = [&req](http::status status, std::string_view type, std::string body) {
    http::response<http::string_body> res{status, req.version()};
    res.set(http::field::content_type, type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return http::message_generator{std::move(res)};
  };
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    return respond(http::status::method_not_allowed, "text/plain", "method not allowed\n");
  if (path == "/")
    return respond(http::status::ok, "text/plain; charset=utf-8",
                   "hello from " + std::string(function_name) + "\n");
  if (path == "/api/hello")  // the name is [a-z0-9-]: no JSON escaping needed
    return respond(http::status::ok, "application/json",
                   R"({"message":"hello from )" + std::string(function_name) +
                       R"(","runtime":"c++/boost.beast )" + std::to_string(BOOST_VERSION / 100000) + "." +
                       std::to_string(BOOST_VERSION / 100 % 1000) + R"("})" + "\n");
  return respond(http::status::not_found, "text/plain", "not found\n");
}

// One connection: read a request (bounded in time and size), answer it, repeat while keep-alive.
asio::awaitable<void> serve(tcp::socket socket) {
  beast::tcp_stream stream{std::move(socket)};
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    stream.expires_after(30s);
    auto [read_error, read_bytes] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (read_error) break;  // closed, timed out or malformed: drop the connection
    const auto& req = parser.get();
    const bool keep_alive = req.keep_alive();
    auto [write_error, written] =
        co_await beast::async_write(stream, handle(req), asio::as_tuple(asio::use_awaitable));
    if (write_error || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error == asio::error::operation_aborted) co_return;
    if (!error) asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

int main() {
  const char* port_env = std::getenv("PORT");
  const auto port = static_cast<unsigned short>(port_env ? std::atoi(port_env) : 8080);

  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc, {tcp::v4(), port}};
  // Stop on SIGTERM (svl drains the replica before stopping it) or Ctrl-C.
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&ioc](auto, auto) { ioc.stop(); });
  asio::co_spawn(ioc, listen(acceptor), asio::detached);

  std::cout << function_name << " listening on :" << port << std::endl;
  ioc.run();
}
