// `svl daemon --config FILE`: the TOML form of the flags, and its errors.
#include <doctest/doctest.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "orchestrator/daemon/daemon.hpp"
#include "tests/common/temp_dir.hpp"

namespace fs = std::filesystem;
using svl::orchestrator::DaemonOptions;
using svl::orchestrator::load_daemon_config;
using svl::orchestrator::resolve_memory_budget;

namespace {

// A config file with `body`, removed with the object.
struct ConfigFile {
  explicit ConfigFile(const std::string& body) : path(dir.path() / "svl-daemon.toml") { std::ofstream(path) << body; }
  svl::test::TempDir dir{"svl-daemon-config"};
  fs::path path;
};

std::string error_of(const std::string& body) {
  ConfigFile file(body);
  DaemonOptions options;
  try {
    load_daemon_config(file.path, options, {});
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("daemon config: every key fills its option, flags win") {
  ConfigFile file(
      "listen = \"127.0.0.1:9000\"\nmetrics_listen = \"127.0.0.1:9001\"\nstate_dir = \"/tmp/s\"\n"
      "domains = [\"fn.test\", \"localhost\"]\ngateway_threads = 2\nmemory_budget = \"2GiB\"\n"
      "idle_slot_ttl = \"90s\"\nmax_build_context = \"64MiB\"\ntls_handshake_timeout = \"3s\"\n"
      "tls_max_handshakes = 32\n");
  DaemonOptions options;
  load_daemon_config(file.path, options, {});
  CHECK(options.max_build_context == "64MiB");
  CHECK(options.tls_handshake_timeout == "3s");
  CHECK(options.tls_max_handshakes == 32);
  CHECK(options.listen == "127.0.0.1:9000");
  CHECK(options.metrics_listen == "127.0.0.1:9001");
  CHECK(options.state_dir == "/tmp/s");
  CHECK(options.domains == std::vector<std::string>{"fn.test", "localhost"});
  CHECK(options.gateway_threads == 2);
  CHECK(options.memory_budget == "2GiB");
  CHECK(options.idle_slot_ttl == "90s");

  DaemonOptions flagged;
  flagged.listen = "127.0.0.1:7000";
  flagged.memory_budget = "off";
  load_daemon_config(file.path, flagged, {"listen", "memory_budget"});
  CHECK(flagged.listen == "127.0.0.1:7000");
  CHECK(flagged.memory_budget == "off");
  CHECK(flagged.gateway_threads == 2);
}

TEST_CASE("daemon config: errors name the file, line and key") {
  auto e = error_of("listen = \"127.0.0.1:9000\"\nbogus = 1\n");
  CHECK(e.find(":2: bogus: unknown key") != std::string::npos);
  CHECK(e.find("memory_budget") != std::string::npos);  // the known keys are listed
  e = error_of("gateway_threads = 65\n");
  CHECK(e.find(":1: gateway_threads: expected an integer from 0 (one per core) to 64") != std::string::npos);
  e = error_of("data_path = \"fast\"\n");
  CHECK(e.find(":1: data_path: expected auto, netns or published, not \"fast\"") != std::string::npos);
  e = error_of("\n\nmemory_budget = \"lots\"\n");
  CHECK(e.find(":3: memory_budget: expected \"auto\", \"off\" or a size") != std::string::npos);
  e = error_of("max_build_context = \"0MiB\"\n");
  CHECK(e.find(":1: max_build_context: must be more than 0") != std::string::npos);
  e = error_of("max_build_context = \"big\"\n");
  CHECK(e.find(":1: max_build_context: expected a size like 512MiB") != std::string::npos);
  e = error_of("tls_handshake_timeout = \"soon\"\n");
  CHECK(e.find(":1: tls_handshake_timeout: expected a duration") != std::string::npos);
  e = error_of("tls_max_handshakes = 0\n");
  CHECK(e.find(":1: tls_max_handshakes: expected an integer from 1 to 65535") != std::string::npos);
  e = error_of("memory_budget = 5\n");
  CHECK(e.find("memory_budget: expected a string") != std::string::npos);
  e = error_of("idle_slot_ttl = \"soon\"\n");
  CHECK(e.find(":1: idle_slot_ttl: expected a duration") != std::string::npos);
  e = error_of("domains = []\n");
  CHECK(e.find("domains: needs at least one domain") != std::string::npos);
  e = error_of("listen = \n");
  CHECK(e.find(":1:") != std::string::npos);  // a TOML syntax error says where
}

TEST_CASE("memory budget values: auto is a share of this machine's RAM, off is none") {
  CHECK(resolve_memory_budget("off") == std::nullopt);
  CHECK(resolve_memory_budget("512MiB") == std::optional<std::uint64_t>(512ull << 20));
  auto automatic = resolve_memory_budget("auto");
  REQUIRE(automatic);
  CHECK(*automatic > (64ull << 20));
  CHECK_THROWS_AS(resolve_memory_budget("0"), std::invalid_argument);
  CHECK_THROWS_AS(resolve_memory_budget("lots"), std::invalid_argument);
}

TEST_CASE("daemon config: [pricing] sets the prices usage is costed at, none by default") {
  CHECK(!DaemonOptions{}.pricing.set());
  ConfigFile file("[pricing]\nper_million_requests = 0.20\nper_gb_second = 0.0000166667\ncurrency = \"EUR\"\n");
  DaemonOptions options;
  load_daemon_config(file.path, options, {});
  REQUIRE(options.pricing.set());
  CHECK(*options.pricing.per_million_requests == doctest::Approx(0.20));
  CHECK(*options.pricing.per_gb_second == doctest::Approx(0.0000166667));
  CHECK(options.pricing.currency == "EUR");

  ConfigFile only_compute("[pricing]\nper_gb_second = 1\n");  // an integer is a price too
  DaemonOptions compute;
  load_daemon_config(only_compute.path, compute, {});
  CHECK(compute.pricing.per_million_requests == std::nullopt);
  CHECK(compute.pricing.currency == "USD");
  // 2 M requests and 100 GB-s: the request price is unset (0), the compute one is 1 per GB-s.
  const auto cost = svl::orchestrator::cost_of(compute.pricing, 2e6, 100);
  CHECK(cost.requests == 0);
  CHECK(cost.compute == doctest::Approx(100));
  const auto both = svl::orchestrator::cost_of(options.pricing, 2e6, 100);
  CHECK(both.total() == doctest::Approx(0.40 + 100 * 0.0000166667));
}

TEST_CASE("daemon config: [pricing] errors name the line and key") {
  auto e = error_of("[pricing]\nper_gb_second = -1\n");
  CHECK(e.find(":2: pricing.per_gb_second: expected a price") != std::string::npos);
  e = error_of("[pricing]\nper_million_requests = \"cheap\"\n");
  CHECK(e.find("pricing.per_million_requests: expected a price") != std::string::npos);
  e = error_of("[pricing]\nper_request = 1\n");
  CHECK(e.find("pricing.per_request: unknown key") != std::string::npos);
  e = error_of("pricing = 3\n");
  CHECK(e.find("pricing: expected a table") != std::string::npos);
  e = error_of("[pricing]\ncurrency = \"\"\n");
  CHECK(e.find("pricing.currency: expected a short string") != std::string::npos);
}
