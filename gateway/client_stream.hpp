#pragma once
// A client connection, plain TCP or TLS, behind one stream type: the session's code is the same
// for both, and the branch is taken once per read or write. Satisfies Beast's AsyncStream.
#include <optional>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace svl::gateway {

class ClientStream {
public:
  using tcp = boost::asio::ip::tcp;
  using executor_type = tcp::socket::executor_type;
  // Beast's, not asio's: it gathers a header and body written together into one TLS record.
  using Tls = boost::beast::ssl_stream<tcp::socket>;

  explicit ClientStream(tcp::socket socket) : plain_(std::move(socket)) {}
  ClientStream(tcp::socket socket, boost::asio::ssl::context& ctx)
      : plain_(socket.get_executor()), tls_(std::in_place, std::move(socket), ctx) {}

  executor_type get_executor() { return socket().get_executor(); }
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  bool is_tls() const { return tls_.has_value(); }
  Tls& tls() { return *tls_; }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) tls_->async_read_some(b, std::move(handler));
          else plain_.async_read_some(b, std::move(handler));
        },
        token, buffers);
  }

  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) tls_->async_write_some(b, std::move(handler));
          else plain_.async_write_some(b, std::move(handler));
        },
        token, buffers);
  }

private:
  tcp::socket plain_;  // unused (never opened) when TLS: the TLS stream owns the socket
  std::optional<Tls> tls_;
};

}  // namespace svl::gateway
