#pragma once
// The daemon's HTTPS side: the certificate store the gateway's TLS listener serves from, reloaded
// when a file in the directory changes (a stat per file every 2 s) and on SIGHUP, with each
// reload logged and measured; and the gateway options that go with it.
#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/gateway.hpp"
#include "orchestrator/daemon/daemon.hpp"
#include "orchestrator/metrics/tls_metrics.hpp"

namespace svl::tls {
class CertStore;
}

namespace svl::orchestrator {

class Https {
public:
  // Reads the certificates once (throws std::invalid_argument for a bad --tls-listen).
  Https(const DaemonOptions& options, const std::filesystem::path& state_dir, TlsMetrics& metrics);
  ~Https();

  bool enabled() const { return store_ != nullptr; }
  // The gateway's TLS listener, redirect, HSTS and ACME webroot options.
  void configure(gateway::Options& gateway) const;
  // Whether a certificate in use covers `domain` (for `svl up`'s warning).
  bool covers(const std::string& domain) const;
  // Watches the directory and SIGHUP on `ctl` until stop().
  void watch(boost::asio::io_context& ctl);
  void stop();
  void reload(const char* why);

private:
  void schedule();
  const DaemonOptions& options_;
  std::filesystem::path certs_dir_, webroot_;
  TlsMetrics& metrics_;
  std::shared_ptr<tls::CertStore> store_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::unique_ptr<boost::asio::signal_set> hangup_;
};

}  // namespace svl::orchestrator
