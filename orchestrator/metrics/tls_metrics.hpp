#pragma once
// The HTTPS listener's metrics, on the daemon's Prometheus registry: handshakes by result, and
// each certificate's expiry (svl_tls_certificate_expiry_timestamp_seconds, in Unix seconds like
// every timestamp metric, so a dashboard warns at `expiry - time() < 14 days`).
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Registry;
}

namespace svl::orchestrator {

struct CertificateExpiry {
  std::string certificate;  // the file's stem: a.example.com, _.example.com, default
  std::chrono::system_clock::time_point not_after;
};

class TlsMetrics {
public:
  explicit TlsMetrics(prometheus::Registry& registry);
  ~TlsMetrics();
  // result: gateway::Observer::on_tls_handshake's; any other value counts as "other". Thread-safe.
  void handshake(std::string_view result, double seconds);
  // After each reload: the certificates in use (a series per file; those gone are removed).
  void set_certificates(const std::vector<CertificateExpiry>& certificates);
  // A certificate or key that did not load (the previous one, if any, kept serving).
  void certificate_error();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace svl::orchestrator
