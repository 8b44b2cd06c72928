#pragma once
// Certificates from a directory as OpenSSL server contexts, chosen by SNI during the handshake
// (names: cert_names.hpp). reload() reads the directory again and swaps the whole set at once; a
// handshake under way keeps the context it was given. A pair that does not load is reported and
// leaves that name's previous certificate serving, so a half-written renewal never takes a domain
// down. OpenSSL stays behind this header (forward declarations only).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls/ticket_keys.hpp"

struct ssl_ctx_st;

namespace svl::tls {

struct CertInfo {
  std::string stem;                 // NAME of NAME.crt / NAME.key
  std::vector<std::string> names;   // DNS SANs (else the subject's CN)
  std::chrono::system_clock::time_point not_after{};
  std::string error;                // why the pair did not load ("" when it did)
  bool serving = false;             // this file's certificate (or, after an error, its previous one) is in use
};

// The first certificate of a PEM chain: names and expiry; `error` set when it cannot be read.
CertInfo inspect_certificate(const std::filesystem::path& crt);

// Every NAME.crt of `dir` (and whether its NAME.key is there), inspected; for `svl certs`.
std::vector<CertInfo> list_certificates(const std::filesystem::path& dir);

// The settings every context of the store shares: TLS 1.2 and 1.3, no renegotiation, ALPN
// offering http/1.1 only, server cipher preference.
void configure_server_context(ssl_ctx_st* ctx);

class CertStore {
public:
  // Session tickets are issued under `tickets` (rotating keys, ticket_keys.hpp).
  explicit CertStore(std::filesystem::path dir, std::chrono::seconds ticket_key_lifetime = std::chrono::hours(12),
                     TicketKeys::Clock now = {});
  ~CertStore();
  CertStore(const CertStore&) = delete;
  CertStore& operator=(const CertStore&) = delete;

  // Reads the directory; returns every pair found, with errors. Thread-safe.
  std::vector<CertInfo> reload();
  // Whether a file changed (added, removed, new mtime or size) since the last reload: a stat per
  // file, cheap enough for a periodic check.
  bool changed() const;
  std::vector<CertInfo> certificates() const;

  // The context for a server name, or null: no certificate covers it and there is no default.
  std::shared_ptr<ssl_ctx_st> context_for(std::string_view server_name) const;
  // Whether a certificate other than the default one names `server_name` (exactly or by wildcard).
  bool covers(std::string_view server_name) const;
  // The context a listener hands its TLS streams: during each handshake its servername callback
  // switches to context_for(SNI), or refuses with unrecognized_name. Lives as long as the store.
  ssl_ctx_st* server_context() const { return base_.get(); }
  const std::filesystem::path& dir() const { return dir_; }
  TicketKeys& tickets() { return tickets_; }

  struct Snapshot;

private:
  std::filesystem::path dir_;
  TicketKeys tickets_;
  std::shared_ptr<ssl_ctx_st> base_;
  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

}  // namespace svl::tls
