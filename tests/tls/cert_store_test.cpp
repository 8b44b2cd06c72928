// The certificate store through real TLS handshakes in memory (OpenSSL BIO pairs, no sockets).
#include <doctest/doctest.h>

#include <openssl/ssl.h>

#include <fstream>

#include "tests/common/temp_dir.hpp"
#include "tests/tls/test_certs.hpp"
#include "tls/cert_store.hpp"

using namespace svl::tls;
using namespace svl::tls::test;
namespace fs = std::filesystem;

namespace {
using Names = std::vector<std::string>;
}

TEST_CASE("each handshake gets the certificate its SNI names: exact, wildcard, default, unknown without a default is refused") {
  svl::test::TempDir dir;
  write_self_signed(dir.path(), "api.example.com", {"api.example.com"});
  write_self_signed(dir.path(), "_.example.com", {"*.example.com"});
  CertStore store(dir.path());
  store.reload();

  CHECK(handshake(store.server_context(), "api.example.com").peer_names == Names{"api.example.com"});
  CHECK(handshake(store.server_context(), "web.example.com").peer_names == Names{"*.example.com"});
  auto unknown = handshake(store.server_context(), "other.org");
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.alert.find("unrecognized name") != std::string::npos);
  CHECK_FALSE(handshake(store.server_context(), "").ok);  // no SNI, no default

  write_self_signed(dir.path(), "default", {"fallback.local"});
  CHECK(store.changed());
  store.reload();
  CHECK_FALSE(store.changed());
  CHECK(handshake(store.server_context(), "other.org").peer_names == Names{"fallback.local"});
  CHECK(handshake(store.server_context(), "").peer_names == Names{"fallback.local"});
}

TEST_CASE("ALPN offers http/1.1 only, renegotiation is off, TLS 1.2 is the floor") {
  svl::test::TempDir dir;
  write_self_signed(dir.path(), "default", {"a.local"});
  CertStore store(dir.path());
  store.reload();
  const auto h = handshake(store.server_context(), "a.local");
  REQUIRE(h.ok);
  CHECK(h.alpn == "http/1.1");  // the client offered h2 first
  CHECK(handshake(store.server_context(), "a.local", false).alpn.empty());  // h2 only: no ALPN, still HTTP/1.1
  CHECK((SSL_CTX_get_options(store.server_context()) & SSL_OP_NO_RENEGOTIATION) != 0);
  CHECK(SSL_CTX_get_min_proto_version(store.server_context()) == TLS1_2_VERSION);
}

TEST_CASE("a renewal replaces the certificate live, a broken one is reported and the previous one keeps serving") {
  svl::test::TempDir dir;
  write_self_signed(dir.path(), "api.example.com", {"api.example.com"}, 10);
  CertStore store(dir.path());
  auto first = store.reload();
  REQUIRE(first.size() == 1);
  const auto old_expiry = first[0].not_after;

  write_self_signed(dir.path(), "api.example.com", {"api.example.com", "www.example.com"}, 90);
  auto renewed = store.reload();
  CHECK(renewed[0].error.empty());
  CHECK(renewed[0].not_after > old_expiry + std::chrono::hours(24 * 70));
  CHECK(handshake(store.server_context(), "www.example.com").ok);

  std::ofstream(dir.path() / "api.example.com.key") << "not a key";  // a half-written renewal
  auto broken = store.reload();
  CHECK_FALSE(broken[0].error.empty());
  CHECK(broken[0].serving);
  CHECK(handshake(store.server_context(), "www.example.com").peer_names ==
        Names{"api.example.com", "www.example.com"});

  // A key that is a key, but not this certificate's.
  write_self_signed(dir.path(), "other", {"other.local"});
  fs::copy_file(dir.path() / "other.key", dir.path() / "api.example.com.key", fs::copy_options::overwrite_existing);
  CHECK(store.reload()[0].error.find("does not match") != std::string::npos);
}

TEST_CASE("svl certs' listing: names and expiry of each certificate, and what is wrong with a pair") {
  svl::test::TempDir dir;
  write_self_signed(dir.path(), "_.example.com", {"*.example.com", "example.com"}, 45);
  std::ofstream(dir.path() / "lonely.crt") << "garbage";
  write_self_signed(dir.path(), "nokey", {"nokey.local"});
  fs::remove(dir.path() / "nokey.key");
  const auto list = list_certificates(dir.path());
  REQUIRE(list.size() == 3);
  CHECK(list[0].stem == "_.example.com");
  CHECK(list[0].names == Names{"*.example.com", "example.com"});
  const auto days = std::chrono::duration_cast<std::chrono::hours>(list[0].not_after - std::chrono::system_clock::now()).count() / 24;
  CHECK(days >= 44);
  CHECK(days <= 45);
  CHECK(list[1].error.find("not a PEM certificate") != std::string::npos);
  CHECK(list[2].error == "no nokey.key beside it");
}

TEST_CASE("sessions resume by ticket, a rotated key still resumes once, two rotations later it is a full handshake") {
  svl::test::TempDir dir;
  write_self_signed(dir.path(), "default", {"a.local"});
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1000);
  CertStore store(dir.path(), std::chrono::hours(12), [&] { return now; });
  store.reload();
  const auto first = handshake(store.server_context(), "a.local");
  REQUIRE(first.ok);
  REQUIRE(first.session);
  CHECK_FALSE(first.resumed);
  const auto again = handshake(store.server_context(), "a.local", true, first.session);
  CHECK(again.resumed);

  now += std::chrono::hours(13);  // the key rotates; the one before is still accepted
  const auto after_one = handshake(store.server_context(), "a.local", true, first.session);
  CHECK(after_one.resumed);
  CHECK(store.tickets().rotations() == 1);

  now += std::chrono::hours(25);  // two lifetimes on: the old key is gone
  const auto after_two = handshake(store.server_context(), "a.local", true, first.session);
  CHECK(after_two.ok);
  CHECK_FALSE(after_two.resumed);
}
