#include "orchestrator/metrics/tls_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <mutex>

namespace svl::orchestrator {

namespace {
constexpr std::array<std::string_view, 8> results{"ok",      "failed",     "no_certificate", "plaintext",
                                                  "timeout", "closed",     "overloaded",     "other"};
}

struct TlsMetrics::Impl {
  explicit Impl(prometheus::Registry& r)
      : handshakes(prometheus::BuildCounter()
                       .Name("svl_tls_handshakes_total")
                       .Help("TLS handshakes on the HTTPS port, by result.")
                       .Register(r)),
        handshake_duration(prometheus::BuildHistogram()
                               .Name("svl_tls_handshake_duration_seconds")
                               .Help("Time from accepting a TLS connection to the end of its handshake.")
                               .Register(r)),
        expiry(prometheus::BuildGauge()
                   .Name("svl_tls_certificate_expiry_timestamp_seconds")
                   .Help("When each certificate in use expires, in Unix seconds.")
                   .Register(r)),
        errors(prometheus::BuildCounter()
                   .Name("svl_tls_certificate_errors_total")
                   .Help("Certificate or key files that did not load on a reload (the previous certificate kept serving).")
                   .Register(r)
                   .Add({})),
        duration(handshake_duration.Add({}, prometheus::Histogram::BucketBoundaries{
                                                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5})) {
    for (std::size_t i = 0; i < results.size(); ++i) by_result[i] = &handshakes.Add({{"result", std::string(results[i])}});
  }
  prometheus::Family<prometheus::Counter>& handshakes;
  prometheus::Family<prometheus::Histogram>& handshake_duration;
  prometheus::Family<prometheus::Gauge>& expiry;
  prometheus::Counter& errors;
  prometheus::Histogram& duration;
  std::array<prometheus::Counter*, results.size()> by_result{};
  std::mutex mu;  // expiry series
  std::map<std::string, prometheus::Gauge*> expiry_series;
};

TlsMetrics::TlsMetrics(prometheus::Registry& registry) : impl_(std::make_unique<Impl>(registry)) {}
TlsMetrics::~TlsMetrics() = default;

void TlsMetrics::handshake(std::string_view result, double seconds) {
  std::size_t i = 0;
  while (i + 1 < results.size() && results[i] != result) ++i;
  impl_->by_result[i]->Increment();
  impl_->duration.Observe(seconds);
}

void TlsMetrics::set_certificates(const std::vector<CertificateExpiry>& certificates) {
  std::lock_guard lock(impl_->mu);
  std::map<std::string, prometheus::Gauge*> next;
  for (const auto& c : certificates) {
    auto it = impl_->expiry_series.find(c.certificate);
    auto* gauge = it != impl_->expiry_series.end() ? it->second : &impl_->expiry.Add({{"certificate", c.certificate}});
    gauge->Set(static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(c.not_after.time_since_epoch()).count()));
    next[c.certificate] = gauge;
  }
  for (auto& [name, gauge] : impl_->expiry_series)
    if (!next.count(name)) impl_->expiry.Remove(gauge);
  impl_->expiry_series = std::move(next);
}

void TlsMetrics::certificate_error() { impl_->errors.Increment(); }

}  // namespace svl::orchestrator
