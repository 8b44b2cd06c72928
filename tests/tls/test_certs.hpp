#pragma once
// Self-signed certificates for the TLS tests, made with OpenSSL's API (no openssl binary).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace svl::tls::test {

// Writes DIR/STEM.crt and DIR/STEM.key: an EC P-256 key and a certificate for `names` (DNS SANs;
// the first is also the CN) valid for `days` from now.
void write_self_signed(const std::filesystem::path& dir, const std::string& stem, const std::vector<std::string>& names,
                       int days = 30);

// A TLS handshake in memory (a BIO pair, no sockets) between a client sending `sni` ("" for none)
// and a server on `server_ctx`: the names of the certificate the client was given, or empty when
// the handshake failed (`alert` then says why, from the client's side).
struct Handshake {
  bool ok = false;
  std::vector<std::string> peer_names;
  std::string alpn;
  std::string alert;
  std::shared_ptr<void> session;  // the client's session (an SSL_SESSION), to resume with
  bool resumed = false;           // this handshake resumed `resume`
};
Handshake handshake(void* server_ctx, const std::string& sni, bool offer_http11 = true,
                    const std::shared_ptr<void>& resume = {});

}  // namespace svl::tls::test
