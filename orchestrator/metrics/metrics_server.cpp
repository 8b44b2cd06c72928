#include "orchestrator/metrics/metrics_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

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

namespace {

// One TCP connect to the exposer's own port, closed at once.
void poke(const std::string& host, bool ipv6, std::uint16_t port) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (ipv6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    if (host == "::" || ::inet_pton(AF_INET6, host.c_str(), &a.sin6_addr) != 1) a.sin6_addr = in6addr_loopback;
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (host == "0.0.0.0" || ::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ::close(fd);
}

}  // namespace

MetricsServer::~MetricsServer() {
  // civetweb's listening thread sees the stop only when its poll returns (up to 2 s): a
  // connection to its own port wakes it at once, so the daemon exits promptly.
  std::atomic<bool> stopped{false};
  std::thread waker([&] {
    while (!stopped.load()) {
      poke(address_.host, address_.ipv6, port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  exposer_.reset();
  stopped = true;
  waker.join();
}

std::string MetricsServer::url() const {
  const std::string host = address_.ipv6 ? "[" + address_.host + "]" : address_.host;
  return "http://" + host + ":" + std::to_string(port_) + "/metrics";
}

}  // namespace svl::orchestrator
