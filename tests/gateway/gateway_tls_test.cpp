// The HTTPS listener through real sockets: certificates by SNI, resumption, a renewal under load,
// HSTS, the plain port's redirect and ACME webroot, and bad input on the TLS port.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "gateway/gateway.hpp"
#include "gateway_test_support.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/tls/test_certs.hpp"
#include "tls/cert_store.hpp"
#include "tls_client.hpp"
#include "upstream_server.hpp"

using namespace svl::gateway;
using namespace svl::gateway::test;
using json = nlohmann::json;
using Names = std::vector<std::string>;

namespace {

// Function "a" behind a gateway with a plain and an HTTPS port; certificates for a.localhost
// and *.example.com (and a default, unless `with_default` is false).
struct TlsGateway {
  svl::test::TempDir certs{"svl-certs"};
  svl::test::TempDir webroot{"svl-webroot"};
  UpstreamServer up{"ua"};
  RecordingListener listener;
  CountingObserver observer;
  std::shared_ptr<svl::tls::CertStore> store;
  std::unique_ptr<Gateway> gw;

  explicit TlsGateway(bool with_default = true, std::function<void(Options&)> tune = {}) {
    svl::tls::test::write_self_signed(certs.path(), "a.localhost", {"a.localhost"});
    svl::tls::test::write_self_signed(certs.path(), "_.example.com", {"*.example.com"});
    if (with_default) svl::tls::test::write_self_signed(certs.path(), "default", {"fallback.local"});
    store = std::make_shared<svl::tls::CertStore>(certs.path());
    store->reload();
    Options o;
    o.port = 0;
    o.threads = 2;
    o.tls.certs = store;
    o.tls.port = 0;
    o.acme_webroot = webroot.path().string();
    if (tune) tune(o);
    gw = std::make_unique<Gateway>(o, listener, observer);
    gw->start();
    FunctionRoute r;
    r.name = "a";
    gw->upsert_function(r);
    gw->add_replica("a", {up.id(), "127.0.0.1", up.port()});
  }
  std::uint16_t tls_port() const { return gw->tls_port(); }
};

// A raw TCP connection to send arbitrary bytes and see whether the peer closed it.
struct Raw {
  asio::io_context ioc;
  tcp::socket s{ioc};
  explicit Raw(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5),
               const std::string& address = "127.0.0.1") {
    s.connect({asio::ip::make_address(address), port});
    timeval tv{timeout.count() / 1000, static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(std::string_view bytes) {
    boost::system::error_code ignored;
    asio::write(s, asio::buffer(bytes.data(), bytes.size()), ignored);
  }
  // Everything until the peer closes (or the receive timeout: `closed` false).
  std::string read_all(bool& closed) {
    std::string out;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      const auto n = s.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) {
        closed = ec == asio::error::eof || ec == asio::error::connection_reset;
        return out;
      }
    }
  }
};

}  // namespace

TEST_CASE("SNI picks the certificate: exact, wildcard, default, requests are proxied with X-Forwarded-Proto https") {
  TlsGateway g;
  TlsClient exact(g.tls_port(), "a.localhost");
  REQUIRE_FALSE(exact.handshake_error());
  CHECK(exact.peer_names() == Names{"a.localhost"});
  auto res = exact.get("/p", "a.localhost");
  REQUIRE(res.result_int() == 200);
  CHECK(json::parse(res.body())["headers"]["X-Forwarded-Proto"] == "https");
  CHECK(res.find(http::field::strict_transport_security) == res.end());  // off by default
  CHECK(exact.get("/again", "a.localhost").result_int() == 200);        // keep-alive over TLS

  TlsClient wildcard(g.tls_port(), "web.example.com");
  REQUIRE_FALSE(wildcard.handshake_error());
  CHECK(wildcard.peer_names() == Names{"*.example.com"});
  TlsClient other(g.tls_port(), "unknown.org");
  REQUIRE_FALSE(other.handshake_error());
  CHECK(other.peer_names() == Names{"fallback.local"});
  TlsClient none(g.tls_port(), "");
  REQUIRE_FALSE(none.handshake_error());
  CHECK(none.peer_names() == Names{"fallback.local"});
  CHECK(none.get("/fn/a/x", "127.0.0.1").result_int() == 200);
  CHECK(g.observer.handshake_count("ok") == 4);
}

TEST_CASE("without a default certificate, an unknown SNI or none is refused and counted as no_certificate") {
  TlsGateway g(false);
  TlsClient unknown(g.tls_port(), "unknown.org");
  CHECK(unknown.handshake_error());
  TlsClient none(g.tls_port(), "");
  CHECK(none.handshake_error());
  TlsClient good(g.tls_port(), "a.localhost");
  REQUIRE_FALSE(good.handshake_error());
  CHECK(good.get("/", "a.localhost").result_int() == 200);
  CHECK(wait_until([&] { return g.observer.handshake_count("no_certificate") == 2; }));
}

TEST_CASE("a second connection resumes the session by ticket, HSTS is sent on HTTPS answers when configured") {
  TlsGateway g(true, [](Options& o) { o.tls.hsts_max_age = 31536000; });
  TlsClient first(g.tls_port(), "a.localhost");
  auto res = first.get("/", "a.localhost");
  CHECK(res[http::field::strict_transport_security] == "max-age=31536000");
  auto missing = first.get("/fn/nope/", "a.localhost");  // the gateway's own answers carry it too
  CHECK(missing.result_int() == 404);
  CHECK(missing[http::field::strict_transport_security] == "max-age=31536000");
  TlsClient second(g.tls_port(), "a.localhost", first.session());
  REQUIRE_FALSE(second.handshake_error());
  CHECK(second.resumed());
  CHECK(second.get("/", "a.localhost").result_int() == 200);
  TestClient plain(g.gw->port());  // never on plain HTTP
  const auto plain_res = plain.get("/", "a.localhost");
  CHECK(plain_res.find(http::field::strict_transport_security) == plain_res.end());
}

TEST_CASE("a connection the gateway closes ends with close_notify, and its session resumes") {
  TlsGateway g(true);
  TlsClient first(g.tls_port(), "a.localhost");
  http::request<http::string_body> req{http::verb::get, "/", 11};
  req.set(http::field::host, "a.localhost");
  req.keep_alive(false);
  CHECK(first.request(req).result_int() == 200);
  CHECK(first.read_to_close() == asio::error::eof);  // not stream_truncated
  TlsClient second(g.tls_port(), "a.localhost", first.session());
  REQUIRE_FALSE(second.handshake_error());
  CHECK(second.resumed());
}

TEST_CASE("a certificate renewed under load: every request of every new connection succeeds, and the new one is served") {
  TlsGateway g;
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      while (!stop) {
        try {
          TlsClient c(g.tls_port(), "a.localhost");
          if (!c.handshake_error() && c.get("/", "a.localhost").result_int() == 200)
            ++ok;
          else
            ++failed;
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  for (int i = 0; i < 10; ++i) {
    svl::tls::test::write_self_signed(g.certs.path(), "a.localhost", {"a.localhost", "v" + std::to_string(i) + ".localhost"});
    g.store->reload();
    wait_until([&] { return ok.load() > (i + 1) * 5; });
  }
  stop = true;
  for (auto& t : clients) t.join();
  CHECK(failed.load() == 0);
  CHECK(ok.load() > 50);
  TlsClient after(g.tls_port(), "a.localhost");
  CHECK(after.peer_names() == Names{"a.localhost", "v9.localhost"});
}

TEST_CASE("the plain port redirects to https with 308, except svl's own calls, the upstream never sees the token") {
  TlsGateway g(true, [](Options& o) {
    o.redirect_http = true;
    o.internal_token = "s3cret";
  });
  TestClient c(g.gw->port());
  auto res = c.get("/p?q=1", "a.localhost:8080");
  CHECK(res.result_int() == 308);
  CHECK(res[http::field::location] == "https://a.localhost:" + std::to_string(g.tls_port()) + "/p?q=1");
  auto abs = c.get("http://a.localhost/x", "ignored");
  CHECK(abs[http::field::location] == "https://a.localhost:" + std::to_string(g.tls_port()) + "/x");
  http::fields internal;
  internal.set("X-Svl-Internal", "s3cret");
  auto own = c.get("/p", "a.localhost", internal);
  REQUIRE(own.result_int() == 200);
  CHECK_FALSE(json::parse(own.body())["headers"].contains("X-Svl-Internal"));
  http::fields wrong;
  wrong.set("X-Svl-Internal", "guess");
  CHECK(c.get("/p", "a.localhost", wrong).result_int() == 308);
}

TEST_CASE("the ACME webroot is served on the plain port, redirect or not, no path leaves it") {
  TlsGateway g(true, [](Options& o) { o.redirect_http = true; });
  std::filesystem::create_directories(g.webroot.path() / ".well-known" / "acme-challenge");
  std::ofstream(g.webroot.path() / ".well-known" / "acme-challenge" / "tok-EN_123") << "tok-EN_123.thumbprint";
  std::ofstream(g.webroot.path() / "secret") << "do not serve";
  TestClient c(g.gw->port());
  auto res = c.get("/.well-known/acme-challenge/tok-EN_123", "a.localhost");
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "tok-EN_123.thumbprint");
  CHECK(c.get("/.well-known/acme-challenge/missing", "a.localhost").result_int() == 404);
  for (const std::string bad : {"/.well-known/acme-challenge/../../secret", "/.well-known/acme-challenge/%2e%2e%2fsecret",
                                "/.well-known/acme-challenge/..", "/.well-known/acme-challenge/a%2F..%2F..%2Fsecret",
                                "/.well-known/acme-challenge/"}) {
    CAPTURE(bad);
    auto r = c.get(bad, "a.localhost");
    CHECK(r.result_int() == 404);
    CHECK(r.body().find("do not serve") == std::string::npos);
  }
  CHECK(c.get("/p", "a.localhost").result_int() == 308);  // the connection served on
}

TEST_CASE("bad input on the TLS port: plaintext gets a plain 400, an oversized ClientHello and a stalled handshake are closed") {
  TlsGateway g(true, [](Options& o) { o.tls.handshake_timeout = std::chrono::milliseconds(300); });
  TlsClient steady(g.tls_port(), "a.localhost");  // a client from before, served throughout
  REQUIRE(steady.get("/", "a.localhost").result_int() == 200);

  {
    Raw plain(g.tls_port());
    plain.send("GET / HTTP/1.1\r\nHost: a.localhost\r\n\r\n");
    bool closed = false;
    const auto got = plain.read_all(closed);
    CHECK(got.starts_with("HTTP/1.1 400"));
    CHECK(got.find("plain HTTP sent to the HTTPS port") != std::string::npos);
    CHECK(closed);
  }
  {
    Raw big(g.tls_port());
    // A handshake record announcing a ClientHello of 16 MiB - 1.
    std::string hello = std::string("\x16\x03\x01\x40\x00", 5) + std::string("\x01\xff\xff\xff", 4);
    hello += std::string(0x4000 - 4, 'A');
    big.send(hello);
    bool closed = false;
    big.read_all(closed);
    CHECK(closed);
  }
  {
    Raw stall(g.tls_port());
    stall.send(std::string("\x16\x03\x01", 3));  // slowloris: a record header, then nothing
    const auto t0 = std::chrono::steady_clock::now();
    bool closed = false;
    stall.read_all(closed);
    CHECK(closed);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  }
  CHECK(wait_until([&] {
    return g.observer.handshake_count("plaintext") == 1 && g.observer.handshake_count("failed") == 1 &&
           g.observer.handshake_count("timeout") == 1;
  }));
  CHECK(steady.get("/", "a.localhost").result_int() == 200);
}

TEST_CASE("2,000 handshakes at once: at most max_handshakes are taken on, the rest closed, memory bounded, others served") {
  TlsGateway g(true, [](Options& o) {
    o.tls.handshake_timeout = std::chrono::milliseconds(500);
    o.tls.max_handshakes = 64;
  });
  TlsClient steady(g.tls_port(), "a.localhost");
  REQUIRE(steady.get("/", "a.localhost").result_int() == 200);
  const auto hwm_before = vm_hwm_kib();
  std::vector<std::unique_ptr<Raw>> storm;
  for (int i = 0; i < 2000; ++i) {
    storm.push_back(std::make_unique<Raw>(g.tls_port()));
    storm.back()->send(std::string("\x16\x03\x01", 3));
  }
  CHECK(steady.get("/", "a.localhost").result_int() == 200);
  CHECK(wait_until([&] {
    return g.observer.handshake_count("overloaded") + g.observer.handshake_count("timeout") == 2000;
  }, std::chrono::seconds(20)));
  CHECK(g.observer.handshake_count("overloaded") >= 2000 - 64 * 4);  // a slot frees each 500 ms
  for (auto& r : storm) {
    bool closed = false;
    r->read_all(closed);
    CHECK(closed);
  }
  CHECK(vm_hwm_kib() - hwm_before < 64 * 1024);
  TlsClient after(g.tls_port(), "a.localhost");
  REQUIRE_FALSE(after.handshake_error());
  CHECK(after.get("/", "a.localhost").result_int() == 200);
}

// svl's bridge address (docs/isolation.md), here 127.0.0.2: replicas call other functions there.
// Its answers are the gateway's routing, never the plain port's redirect to https.
std::string get_on_bridge(std::uint16_t port, const std::string& target) {
  Raw r(port, std::chrono::seconds(5), "127.0.0.2");
  r.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.2:" + std::to_string(port) + "\r\nConnection: close\r\n\r\n");
  bool closed = false;
  return r.read_all(closed);
}

TEST_CASE("the bridge address has a listener of its own, routed like the plain port and never redirected") {
  TlsGateway g(true, [](Options& o) {
    o.redirect_http = true;
    o.bridge_address = "127.0.0.2";
  });
  REQUIRE(g.gw->bridge_port() == g.gw->port());  // the plain port's number on the other address
  const auto answer = get_on_bridge(g.gw->bridge_port(), "/fn/a/p");
  CHECK(answer.starts_with("HTTP/1.1 200"));
  CHECK(answer.find("\"X-Forwarded-For\":\"127.0.0.1\"") != std::string::npos);
  CHECK(get_on_bridge(g.gw->bridge_port(), "/fn/nope/").starts_with("HTTP/1.1 404"));
  TestClient c(g.gw->port());
  CHECK(c.get("/fn/a/p", "127.0.0.1").result_int() == 308);  // the plain port still redirects
}

TEST_CASE("a wildcard plain listener serves the bridge address itself, unredirected") {
  TlsGateway g(true, [](Options& o) {
    o.listen_address = "0.0.0.0";
    o.redirect_http = true;
    o.bridge_address = "127.0.0.2";
  });
  CHECK(g.gw->bridge_port() == g.gw->port());
  CHECK(get_on_bridge(g.gw->port(), "/fn/a/p").starts_with("HTTP/1.1 200"));
  TestClient c(g.gw->port());
  CHECK(c.get("/fn/a/p", "127.0.0.1").result_int() == 308);
}
