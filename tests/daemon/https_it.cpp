// HTTPS end to end with the real binary: the TLS listener serving a function at its custom
// domain, the redirect, `svl up`'s warning, SIGHUP and file-change reloads with a broken renewal,
// the TLS metrics; and a real ACME round trip: pebble (Let's Encrypt's test server) on loopback,
// `certbot certonly --webroot` against svl's webroot, the deploy hook's reload, and a renewal.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include <boost/asio/ip/tcp.hpp>

#include "tests/daemon/daemon_it_support.hpp"
#include "tests/gateway/tls_client.hpp"
#include "tests/tls/test_certs.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;
using Names = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

// The daemon's HTTPS port, from its ready line.
std::uint16_t tls_port_of(const DaemonProcess& d) {
  std::smatch m;
  const auto log = d.log();
  if (!std::regex_search(log, m, std::regex("https https://[0-9.]+:([0-9]+)"))) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

std::uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

std::string metrics_text(const DaemonProcess& d) { return svl::test::get(d.metrics_port(), "/metrics").body; }

// A helper process (pebble, its DNS) that is killed when the test ends, however it ends.
class Background {
public:
  Background(std::vector<std::string> argv, const fs::path& log, std::vector<std::string> env = {}) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (auto& e : env) ::putenv(e.data());
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

private:
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("HTTPS serves a function at its custom domain, redirect, warning, live reloads and metrics") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  const auto certs = tmp.path() / "certs";
  fs::create_directories(certs);
  svl::tls::test::write_self_signed(certs, "api.example.com", {"api.example.com"}, 30);
  DaemonProcess d(tmp.path() / "state",
                  daemon_args({"--tls-listen", "127.0.0.1:0", "--certs-dir", certs.string(), "--redirect-http",
                               "--hsts-max-age", "600"}));
  const auto port = tls_port_of(d);
  REQUIRE(port != 0);

  auto api = svl::test::write_function(tmp.path(), "api",
                                       fn_toml("", "custom_domains = [\"api.example.com\", \"www.example.com\"]\n"));
  auto up = d.cli({"up", api.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  CHECK_MESSAGE(up.out.find("https://api.example.com:" + std::to_string(port) + "/") != std::string::npos, up.out);
  CHECK_MESSAGE(up.err.find("warning: no certificate covers www.example.com") != std::string::npos, up.err);
  CHECK(up.err.find("covers api.example.com") == std::string::npos);

  {
    svl::gateway::test::TlsClient c(port, "api.example.com");
    REQUIRE_FALSE(c.handshake_error());
    CHECK(c.peer_names() == Names{"api.example.com"});
    auto res = c.get("/env/HOME", "api.example.com");  // wakes the function over HTTPS
    CHECK(res.result_int() == 200);
    CHECK(res[boost::beast::http::field::strict_transport_security] == "max-age=600");
  }
  auto plain = svl::test::get(d.gateway_port(), "/x?y=1", "api.example.com");
  CHECK(plain.status == 308);

  // A renewal with a broken key: logged and counted, the old certificate keeps serving.
  const auto old_serial = svl::gateway::test::TlsClient(port, "api.example.com").serial();
  std::ofstream(certs / "api.example.com.key") << "half a key";
  d.send_signal(SIGHUP);
  CHECK(wait_for([&] { return d.log().find("the previous one keeps serving") != std::string::npos; }, 10s));
  CHECK(svl::gateway::test::TlsClient(port, "api.example.com").serial() == old_serial);
  CHECK(metrics_text(d).find("svl_tls_certificate_errors_total 1") != std::string::npos);

  // The real renewal: picked up by the change watcher (no signal), with the new expiry exported.
  svl::tls::test::write_self_signed(certs, "api.example.com", {"api.example.com", "www.example.com"}, 90);
  CHECK(wait_for([&] {
    svl::gateway::test::TlsClient c(port, "www.example.com");
    return !c.handshake_error() && c.serial() != old_serial &&
           c.peer_names() == Names{"api.example.com", "www.example.com"};
  }, 10s));
  const auto metrics = metrics_text(d);
  CHECK(metrics.find("svl_tls_handshakes_total{result=\"ok\"}") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(metrics, m,
                            std::regex("svl_tls_certificate_expiry_timestamp_seconds\\{certificate=\"api.example.com\"\\} ([0-9.e+]+)")));
  const auto expiry = std::chrono::system_clock::time_point(std::chrono::seconds(static_cast<long long>(std::stod(m[1]))));
  CHECK(expiry - std::chrono::system_clock::now() > std::chrono::hours(24 * 80));

  auto status = d.cli({"status", "api"});
  CHECK_MESSAGE(status.out.find("https://api.example.com:" + std::to_string(port) + "/") != std::string::npos, status.out);
}

TEST_CASE("ACME: certbot --webroot against pebble issues through svl's webroot, the deploy hook reloads, renewal replaces") {
  if (::access("/usr/bin/pebble", X_OK) != 0 || ::access("/usr/bin/certbot", X_OK) != 0) {
    FAIL("pebble and certbot are needed (deploy/install-deps.sh installs them)");
  }
  TempDir tmp;
  const auto certs = tmp.path() / "certs";
  const auto webroot = tmp.path() / "webroot";
  fs::create_directories(certs);
  DaemonProcess d(tmp.path() / "state", daemon_args({"--tls-listen", "127.0.0.1:0", "--certs-dir", certs.string(),
                                                     "--acme-webroot", webroot.string(), "--redirect-http"}));
  const auto port = tls_port_of(d);
  REQUIRE(port != 0);
  const std::string name = "app.example.com";

  // Pebble on loopback: its ACME API over TLS, HTTP-01 validation against svl's plain port, and
  // names resolved by its companion DNS server to 127.0.0.1 (nothing leaves this machine).
  svl::tls::test::write_self_signed(tmp.path(), "pebble", {"localhost"});
  const auto acme_port = free_port(), mgmt_port = free_port(), dns_port = free_port(), dns_mgmt = free_port();
  std::ofstream(tmp.path() / "pebble.json")
      << "{\"pebble\": {\"listenAddress\": \"127.0.0.1:" << acme_port << "\", \"managementListenAddress\": \"127.0.0.1:"
      << mgmt_port << "\", \"certificate\": \"" << (tmp.path() / "pebble.crt").string() << "\", \"privateKey\": \""
      << (tmp.path() / "pebble.key").string() << "\", \"httpPort\": " << d.gateway_port()
      << ", \"tlsPort\": " << port << ", \"ocspResponderURL\": \"\", \"externalAccountBindingRequired\": false}}\n";
  Background dns({"pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01",
                  "127.0.0.1:" + std::to_string(dns_port), "-http01", "", "-https01", "", "-tlsalpn01", "",
                  "-management", "127.0.0.1:" + std::to_string(dns_mgmt)},
                 tmp.path() / "dns.log");
  Background pebble({"pebble", "-config", (tmp.path() / "pebble.json").string(), "-dnsserver",
                     "127.0.0.1:" + std::to_string(dns_port)},
                    tmp.path() / "pebble.log", {"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"});
  REQUIRE(wait_for([&] {
    std::ifstream f(tmp.path() / "pebble.log");
    return std::string(std::istreambuf_iterator<char>(f), {}).find("Listening on") != std::string::npos;
  }, 20s));

  const std::string hook = std::string(std::getenv("SVL_SOURCE_DIR")) + "/deploy/certbot-deploy-hook";
  const std::string env = "SVL_CERTS_DIR=" + certs.string() + " SVL_DAEMON_PID=" + std::to_string(d.pid());
  const std::string common = " --server https://localhost:" + std::to_string(acme_port) +
                             "/dir --no-verify-ssl --non-interactive --agree-tos --register-unsafely-without-email"
                             " --config-dir " + (tmp.path() / "le").string() + " --work-dir " +
                             (tmp.path() / "le-work").string() + " --logs-dir " + (tmp.path() / "le-logs").string() +
                             " --deploy-hook " + hook + " >>" + (tmp.path() / "certbot.log").string() + " 2>&1";
  auto certbot_log = [&] {
    std::ifstream f(tmp.path() / "certbot.log");
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const int issued = std::system((env + " certbot certonly --webroot -w " + webroot.string() + " -d " + name + common).c_str());
  REQUIRE_MESSAGE(issued == 0, certbot_log());
  CHECK(fs::exists(certs / (name + ".crt")));

  std::string first_serial;
  CHECK(wait_for([&] {
    svl::gateway::test::TlsClient c(port, name);
    if (c.handshake_error() || c.peer_names() != Names{name}) return false;
    first_serial = c.serial();
    return c.issuer().find("Pebble") != std::string::npos;
  }, 10s));
  CHECK(d.log().find("certificate " + name + " (SIGHUP)") == std::string::npos);  // loaded cleanly

  const int renewed = std::system((env + " certbot renew --force-renewal --no-random-sleep-on-renew" + common).c_str());
  REQUIRE_MESSAGE(renewed == 0, certbot_log());
  CHECK(wait_for([&] {
    svl::gateway::test::TlsClient c(port, name);
    return !c.handshake_error() && c.serial() != first_serial && c.peer_names() == Names{name};
  }, 10s));
}
