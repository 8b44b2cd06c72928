#include "orchestrator/daemon/https.hpp"


#include "orchestrator/daemon/daemon_log.hpp"
#include "tls/cert_store.hpp"

namespace svl::orchestrator {

namespace fs = std::filesystem;

namespace {

constexpr auto check_every = std::chrono::seconds(2);

std::string format_expiry(std::chrono::system_clock::time_point t) {
  const auto days = std::chrono::duration_cast<std::chrono::hours>(t - std::chrono::system_clock::now()).count() / 24;
  return "expires in " + std::to_string(days) + " days";
}


}  // namespace

Https::Https(const DaemonOptions& options, const fs::path& state_dir, TlsMetrics& metrics)
    : options_(options),
      certs_dir_(options.certs_dir.empty() ? state_dir / "certs" : fs::path(options.certs_dir)),
      webroot_(options.acme_webroot.empty() ? state_dir / "acme-webroot" : fs::path(options.acme_webroot)),
      metrics_(metrics) {
  std::error_code ec;
  fs::create_directories(webroot_ / ".well-known" / "acme-challenge", ec);
  if (options.redirect_http && options.tls_listen.empty())
    throw std::invalid_argument("redirect_http needs --tls-listen (there is no https to redirect to)");
  if (options.tls_listen.empty()) return;
  fs::create_directories(certs_dir_, ec);
  if (ec) throw std::invalid_argument("--certs-dir " + certs_dir_.string() + ": " + ec.message());
  store_ = std::make_shared<tls::CertStore>(certs_dir_);
  reload("start");
}

Https::~Https() = default;

void Https::configure(gateway::Options& gw) const {
  gw.acme_webroot = webroot_.string();
  if (!store_) return;
  const auto colon = options_.tls_listen.rfind(':');
  const auto port = colon == std::string::npos ? std::string() : options_.tls_listen.substr(colon + 1);
  if (colon == std::string::npos || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    throw std::invalid_argument("--tls-listen: expected ADDR:PORT, got \"" + options_.tls_listen + "\"");
  gw.tls.certs = store_;
  gw.tls.listen_address = options_.tls_listen.substr(0, colon);
  gw.tls.port = static_cast<std::uint16_t>(std::stoul(port));
  gw.tls.hsts_max_age = options_.hsts_max_age;
  try {
    gw.tls.handshake_timeout = resolve_duration(options_.tls_handshake_timeout);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--tls-handshake-timeout: ") + e.what());
  }
  if (gw.tls.handshake_timeout.count() <= 0) throw std::invalid_argument("--tls-handshake-timeout: must be more than 0");
  gw.tls.max_handshakes = options_.tls_max_handshakes;
  gw.redirect_http = options_.redirect_http;
}

bool Https::covers(const std::string& domain) const { return store_ && store_->covers(domain); }

void Https::reload(const char* why) {
  if (!store_) return;
  const auto certs = store_->reload();
  std::vector<CertificateExpiry> expiries;
  for (const auto& c : certs) {
    if (!c.error.empty()) {
      metrics_.certificate_error();
      log("certificate " + c.stem + " (" + why + "): " + c.error +
          (c.serving ? "; the previous one keeps serving" : "; not served"));
    } else if (std::string_view(why) != "change") {
      log("certificate " + c.stem + ": " + (c.names.empty() ? std::string("no names") : c.names.front()) +
          (c.names.size() > 1 ? " and " + std::to_string(c.names.size() - 1) + " more" : std::string()) + ", " +
          format_expiry(c.not_after));
    } else {
      log("certificate " + c.stem + " reloaded, " + format_expiry(c.not_after));
    }
    if (c.serving) expiries.push_back({c.stem, c.not_after});
  }
  if (certs.empty()) log("no certificates in " + certs_dir_.string() + " yet: HTTPS handshakes are refused until one is added");
  metrics_.set_certificates(expiries);
}

void Https::watch(boost::asio::io_context& ctl) {
  if (!store_) return;
  timer_ = std::make_unique<boost::asio::steady_timer>(ctl);
  hangup_ = std::make_unique<boost::asio::signal_set>(ctl, SIGHUP);
  auto wait_hangup = std::make_shared<std::function<void()>>();
  *wait_hangup = [this, wait_hangup] {
    hangup_->async_wait([this, wait_hangup](const boost::system::error_code& ec, int) {
      if (ec) return;
      reload("SIGHUP");
      (*wait_hangup)();
    });
  };
  (*wait_hangup)();
  schedule();
}

void Https::schedule() {
  timer_->expires_after(check_every);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (store_->changed()) reload("change");
    schedule();
  });
}

void Https::stop() {
  if (timer_) timer_->cancel();
  if (hangup_) hangup_->cancel();
}

}  // namespace svl::orchestrator
