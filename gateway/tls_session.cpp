// The TLS handshake of a connection on the HTTPS port: bounded in time (handshake_timeout, by
// the session's watchdog) and in number (max_handshakes in progress, whole gateway: the rest are
// closed at once, so 2,000 clients connecting together cost a bounded amount of memory and CPU).
// Plain HTTP sent to this port gets a plain 400 saying so, as nginx does.
#include <sys/socket.h>

#include <openssl/ssl.h>

#include <boost/asio/write.hpp>

#include "gateway/proxy_headers.hpp"
#include "gateway/request_id.hpp"
#include "gateway/session.hpp"
#include "tls/cert_store.hpp"

namespace svl::gateway::session {

namespace {

constexpr unsigned char tls_handshake_record = 0x16;

// Plain HTTP on the TLS port: the first byte is a method's letter, not a TLS record.
asio::awaitable<void> refuse_plaintext(Session& s) {
  auto res = make_error_response(http::status::bad_request, reason_label(Error::bad_request), "", generate_request_id(),
                                 "plain HTTP sent to the HTTPS port", false, 11);
  s.arm(write_timeout, Phase::client_write);
  co_await http::async_write(s.client.socket(), res, nothrow);
}

// Why a handshake failed, for the metric.
std::string_view failure(Session& s) {
  if (s.fired) return "timeout";
  SSL* ssl = s.client.tls().native_handle();
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!s.impl->options.tls.certs->context_for(name ? name : "")) return "no_certificate";
  return "failed";
}

}  // namespace

asio::awaitable<bool> tls_handshake(Session& s) {
  auto& impl = *s.impl;
  const auto t0 = Clock::now();
  auto report = [&](std::string_view result) {
    impl.observer.on_tls_handshake(result, std::chrono::duration<double>(Clock::now() - t0).count());
  };
  struct Release {  // the slot run_session took for this handshake
    std::atomic<unsigned>& n;
    ~Release() { n.fetch_sub(1, std::memory_order_relaxed); }
  } release{impl.handshakes};

  s.arm(impl.options.tls.handshake_timeout, Phase::handshake);
  auto& socket = s.client.socket();
  auto [wec] = co_await socket.async_wait(tcp::socket::wait_read, nothrow);
  unsigned char first = 0;
  if (wec || ::recv(socket.native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1) {
    report(s.fired ? "timeout" : "closed");
    co_return false;
  }
  if (first != tls_handshake_record) {
    if (first >= 'A' && first <= 'Z') co_await refuse_plaintext(s);
    report("plaintext");
    co_return false;
  }
  auto [ec] = co_await s.client.tls().async_handshake(asio::ssl::stream_base::server, nothrow);
  if (ec) {
    report(ec == asio::error::eof && !s.fired ? "closed" : failure(s));
    co_return false;
  }
  report("ok");
  co_return true;
}

bool take_handshake_slot(Gateway::Impl& impl) {
  if (impl.handshakes.fetch_add(1, std::memory_order_relaxed) < impl.options.tls.max_handshakes) return true;
  impl.handshakes.fetch_sub(1, std::memory_order_relaxed);
  impl.observer.on_tls_handshake("overloaded", 0);
  return false;
}

}  // namespace svl::gateway::session
