#include "orchestrator/metrics/metrics_server.hpp"

#include <arpa/inet.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <charconv>
#include <exception>
#include <vector>

namespace svl::orchestrator {

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);

  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || err != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return std::nullopt;
  }

  ListenAddress address;
  address.port = static_cast<std::uint16_t>(port);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    address.host = std::string(host.substr(1, host.size() - 2));
    address.ipv6 = true;
  } else if (host == "localhost") {
    address.host = "127.0.0.1";
  } else {
    address.host = std::string(host);
  }

  // Civetweb binds numeric addresses only; check here so the error is ours, not a bind failure.
  unsigned char buffer[16];
  if (inet_pton(address.ipv6 ? AF_INET6 : AF_INET, address.host.c_str(), buffer) != 1) {
    return std::nullopt;
  }
  return address;
}

std::unique_ptr<MetricsServer> MetricsServer::start(std::string_view listen,
                                                    const Metrics& metrics,
                                                    std::error_code& ec) {
  ec.clear();
  auto address = parse_listen_address(listen);
  if (!address) {
    ec = MetricsError::bad_listen_address;
    return nullptr;
  }
  const std::string bind = address->ipv6
                               ? "[" + address->host + "]:" + std::to_string(address->port)
                               : address->host + ":" + std::to_string(address->port);
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // Two threads: a scrape never waits behind another one.
    exposer = std::make_unique<prometheus::Exposer>(bind, 2);
  } catch (const std::exception&) {
    ec = MetricsError::bind_failed;
    return nullptr;
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0 || ports.front() > 65535) {
    ec = MetricsError::bind_failed;
    return nullptr;
  }
  exposer->RegisterCollectable(metrics.registry());
  const auto port = static_cast<std::uint16_t>(ports.front());
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(*address), std::move(exposer), port));
}

MetricsServer::MetricsServer(ListenAddress address, std::unique_ptr<prometheus::Exposer> exposer,
                             std::uint16_t port)
    : address_(std::move(address)), exposer_(std::move(exposer)), port_(port) {}

MetricsServer::~MetricsServer() = default;

std::string MetricsServer::url() const {
  const std::string host = address_.ipv6 ? "[" + address_.host + "]" : address_.host;
  return "http://" + host + ":" + std::to_string(port_) + "/metrics";
}

}  // namespace svl::orchestrator
