#pragma once
#include <fstream>
#include <string>
// Blocking HTTP client for the gateway tests. Every socket read/write is bounded by a kernel
// timeout (SO_RCVTIMEO/SO_SNDTIMEO), so a broken gateway fails a test instead of hanging it.
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace svl::gateway::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Peak resident memory of this process so far (VmHWM), to bound what a streamed body costs.
inline std::size_t vm_hwm_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

class TestClient {
public:
  explicit TestClient(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : socket_(ioc_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  http::response<http::string_body> get(const std::string& target, const std::string& host = "x",
                                        http::fields extra = {}) {
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    for (auto& f : extra) req.set(f.name_string(), f.value());
    return request(req);
  }

  http::response<http::string_body> request(http::request<http::string_body>& req) {
    req.prepare_payload();
    http::write(socket_, req);
    return read();
  }

  http::response<http::string_body> read() {
    http::response_parser<http::string_body> p;
    p.body_limit(64 << 20);
    http::read(socket_, buffer_, p);
    return p.release();
  }

  void send_raw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

  // Reads one response after raw bytes; throws on timeout or EOF.
  http::response<http::string_body> read_raw_response() { return read(); }

  // True when the peer closed the connection (EOF) within the socket timeout.
  bool closed_by_peer() {
    char c;
    boost::system::error_code ec;
    for (;;) {
      socket_.read_some(asio::buffer(&c, 1), ec);
      if (ec) return ec == asio::error::eof || ec == asio::error::connection_reset;
    }
  }

  tcp::socket& socket() { return socket_; }
  beast::flat_buffer& buffer() { return buffer_; }

private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

}  // namespace svl::gateway::test
