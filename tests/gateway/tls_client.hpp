#pragma once
// A blocking HTTPS client for the gateway's TLS tests (Beast's ssl_stream over a loopback
// socket with send/receive timeouts). It does not verify the chain: the tests check which
// certificate was served by its names instead.
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include "test_client.hpp"

namespace svl::gateway::test {

class TlsClient {
public:
  // Connects and shakes hands (`sni` "" sends none); handshake_error() says whether it worked.
  TlsClient(std::uint16_t port, const std::string& sni, SSL_SESSION* resume = nullptr,
            std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : ctx_(asio::ssl::context::tls_client), stream_(ioc_, ctx_) {
    auto& s = beast::get_lowest_layer(stream_);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (!sni.empty()) SSL_set_tlsext_host_name(stream_.native_handle(), sni.c_str());
    if (resume) SSL_set_session(stream_.native_handle(), resume);
    stream_.handshake(asio::ssl::stream_base::client, handshake_error_);
  }
  ~TlsClient() {
    if (session_) SSL_SESSION_free(session_);
  }

  const boost::system::error_code& handshake_error() const { return handshake_error_; }
  bool resumed() { return SSL_session_reused(stream_.native_handle()) == 1; }

  // DNS names of the certificate the server sent.
  std::vector<std::string> peer_names() {
    std::vector<std::string> out;
    X509* peer = SSL_get1_peer_certificate(stream_.native_handle());
    if (!peer) return out;
    if (auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(peer, NID_subject_alt_name, nullptr, nullptr))) {
      for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
        const auto* n = sk_GENERAL_NAME_value(sans, i)->d.dNSName;
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n)), ASN1_STRING_length(n));
      }
      GENERAL_NAMES_free(sans);
    }
    X509_free(peer);
    return out;
  }

  // The served certificate's serial number (hex) and issuer (one line), to tell two apart.
  std::string serial() {
    X509* peer = SSL_get1_peer_certificate(stream_.native_handle());
    if (!peer) return {};
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(peer), nullptr);
    char* hex = BN_bn2hex(bn);
    std::string out = hex;
    OPENSSL_free(hex);
    BN_free(bn);
    X509_free(peer);
    return out;
  }
  std::string issuer() {
    X509* peer = SSL_get1_peer_certificate(stream_.native_handle());
    if (!peer) return {};
    char buf[512] = {};
    X509_NAME_oneline(X509_get_issuer_name(peer), buf, sizeof buf);
    X509_free(peer);
    return buf;
  }

  http::response<http::string_body> get(const std::string& target, const std::string& host) {
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    return request(req);
  }
  http::response<http::string_body> request(http::request<http::string_body>& req) {
    req.prepare_payload();
    http::write(stream_, req);
    http::response_parser<http::string_body> p;
    p.body_limit(64 << 20);
    http::read(stream_, buffer_, p);
    return p.release();
  }

  // After an answer that closed the connection: how the next read ends. asio::error::eof when the
  // server sent close_notify; ssl::error::stream_truncated when it only closed the socket.
  boost::system::error_code read_to_close() {
    char byte = 0;
    boost::system::error_code ec;
    stream_.read_some(asio::buffer(&byte, 1), ec);
    return ec;
  }

  // The session to resume with (owned by this client; valid while it lives). TLS 1.3 sends its
  // tickets after the handshake, so call this after a request.
  SSL_SESSION* session() {
    if (!session_) session_ = SSL_get1_session(stream_.native_handle());
    return session_;
  }

private:
  asio::io_context ioc_;
  asio::ssl::context ctx_;
  beast::ssl_stream<tcp::socket> stream_;
  beast::flat_buffer buffer_;
  boost::system::error_code handshake_error_;
  SSL_SESSION* session_ = nullptr;
};

}  // namespace svl::gateway::test
