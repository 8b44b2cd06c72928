#pragma once
// Serves a Metrics registry as Prometheus text on http://ADDR:PORT/metrics
// (--metrics-listen). Runs its own small thread pool (prometheus-cpp's civetweb
// exposer), so it never touches the gateway's event loop.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "orchestrator/metrics/metrics.hpp"
#include "orchestrator/metrics/metrics_error.hpp"

namespace prometheus {
class Exposer;
}

namespace svl::orchestrator {

struct ListenAddress {
  std::string host;  // numeric: "127.0.0.1" or "::1" (no brackets)
  std::uint16_t port = 0;
  bool ipv6 = false;
};

// "127.0.0.1:9180", "[::1]:9180", "localhost:0" (-> 127.0.0.1). No name resolution.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

class MetricsServer {
public:
  // Listens at once; port 0 picks a free port (see port()). Returns nullptr and
  // sets ec on a bad address or a failed bind. The server keeps only a weak
  // reference to the registry: destroy the server before, or with, the Metrics.
  static std::unique_ptr<MetricsServer> start(std::string_view listen, const Metrics& metrics,
                                              std::error_code& ec);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& host() const { return address_.host; }
  // e.g. "http://127.0.0.1:9180/metrics"
  std::string url() const;

private:
  MetricsServer(ListenAddress address, std::unique_ptr<prometheus::Exposer> exposer,
                std::uint16_t port);

  ListenAddress address_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::uint16_t port_;
};

}  // namespace svl::orchestrator
