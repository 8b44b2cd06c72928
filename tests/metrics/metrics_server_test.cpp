#include "orchestrator/metrics/metrics_server.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/metrics/command.hpp"
#include "tests/metrics/exposition.hpp"

using namespace svl::orchestrator;

namespace {

struct HttpResult {
  long status = 0;
  std::string content_type;
  std::string body;
  std::string error;
};

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

HttpResult http_get(const std::string& url) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  REQUIRE(curl != nullptr);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    result.error = curl_easy_strerror(rc);
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) result.content_type = type;
  }
  curl_easy_cleanup(curl);
  return result;
}

void record_sample_data(Metrics& m) {
  m.register_function("hello");
  m.request_done("hello", 200, 0.004, 0);
  m.request_done("hello", 504, 30.0, 30.0);
  m.request_done("", 404, 0.0002, 0);
  m.rejected("hello", RejectReason::start_timeout);
  m.rejected("", RejectReason::unknown_function);
  m.set_load("hello", 2, 1);
  m.set_replicas("hello", ReplicaState::ready, 1);
  m.set_desired("hello", 2, true);
  m.cold_start("hello", svl::autoscaler::Tier::stopped, 0.09);
  m.scale_event("hello", ScaleDirection::up, "panic");
  m.docker_call("start", DockerOutcome::ok, 0.07);
  m.events_reconnect();
  m.usage("hello", 10, 10 * 268435456.0);
}

// Runs `promtool check metrics` with the exposition on stdin.
svl::test::CommandResult promtool_check(const std::string& promtool, const std::string& exposition) {
  const auto input = std::filesystem::temp_directory_path() /
                     ("svl-metrics-" + std::to_string(::getpid()) + ".prom");
  std::ofstream(input) << exposition;
  auto result = svl::test::run_command(promtool + " check metrics < " + input.string());
  std::filesystem::remove(input);
  return result;
}

}  // namespace

TEST_CASE("parse_listen_address accepts numeric addresses and ports only") {
  auto a = parse_listen_address("127.0.0.1:9180");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 9180);
  CHECK_FALSE(a->ipv6);

  auto b = parse_listen_address("[::1]:0");
  REQUIRE(b);
  CHECK(b->host == "::1");
  CHECK(b->port == 0);
  CHECK(b->ipv6);

  auto c = parse_listen_address("localhost:80");
  REQUIRE(c);
  CHECK(c->host == "127.0.0.1");

  CHECK(parse_listen_address("0.0.0.0:65535"));
  for (const char* bad : {"", "9180", ":9180", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                          "127.0.0.1:-1", "127.0.0.1:80x", "example.com:80", "::1:80",
                          "[::1:80", "256.0.0.1:80", "[127.0.0.1]:80"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_listen_address(bad));
  }
}

TEST_CASE("metrics errors convert to std::error_code with their own category") {
  std::error_code ec = MetricsError::bad_listen_address;
  CHECK(ec.category().name() == std::string("svl.metrics"));
  CHECK(ec.message().find("PORT") != std::string::npos);
  CHECK(ec != std::error_code(MetricsError::bind_failed));
  CHECK(std::error_code(MetricsError::bind_failed).message().find("listen") != std::string::npos);
}

TEST_CASE("MetricsServer refuses a bad address and a port already taken") {
  Metrics m("0");
  std::error_code ec;
  CHECK(MetricsServer::start("nowhere:80", m, ec) == nullptr);
  CHECK(ec == MetricsError::bad_listen_address);

  auto first = MetricsServer::start("127.0.0.1:0", m, ec);
  REQUIRE_MESSAGE(first != nullptr, ec.message());
  auto second = MetricsServer::start("127.0.0.1:" + std::to_string(first->port()), m, ec);
  CHECK(second == nullptr);
  CHECK(ec == MetricsError::bind_failed);
}

TEST_CASE("MetricsServer on port 0 serves /metrics over HTTP and the scrape passes promtool") {
  Metrics m("0.1.0");
  record_sample_data(m);
  std::error_code ec;
  auto server = MetricsServer::start("127.0.0.1:0", m, ec);
  REQUIRE_MESSAGE(server != nullptr, ec.message());
  CHECK_FALSE(ec);
  REQUIRE(server->port() != 0);
  CHECK(server->url() == "http://127.0.0.1:" + std::to_string(server->port()) + "/metrics");

  const HttpResult scrape = http_get(server->url());
  REQUIRE_MESSAGE(scrape.error.empty(), scrape.error);
  CHECK(scrape.status == 200);
  CHECK(scrape.content_type.find("text/plain") == 0);
  const auto samples = svl::test::parse_exposition(scrape.body);
  CHECK(svl::test::value_of(samples, "svl_build_info", {{"version", "0.1.0"}}) == 1.0);
  CHECK(svl::test::value_of(samples, "svl_requests_total", {{"function", "hello"}, {"code", "504"}}) ==
        1.0);

  // What the server serves is the live registry, not a snapshot.
  m.request_done("hello", 200, 0.001, 0);
  const auto again = svl::test::parse_exposition(http_get(server->url()).body);
  CHECK(svl::test::value_of(again, "svl_requests_total", {{"function", "hello"}, {"code", "200"}}) ==
        2.0);

  const std::string promtool = svl::test::find_tool("promtool");
  if (promtool.empty()) {
    MESSAGE("promtool not installed (Debian package 'prometheus'): lint of the scrape skipped");
    return;
  }
  const svl::test::CommandResult lint = promtool_check(promtool, scrape.body);
  INFO("promtool output: " << lint.output);
  CHECK(lint.exit_code == 0);
}

TEST_CASE("promtool catches a badly named metric, so the lint above can fail") {
  const std::string promtool = svl::test::find_tool("promtool");
  if (promtool.empty()) {
    MESSAGE("promtool not installed (Debian package 'prometheus'): skipped");
    return;
  }
  const svl::test::CommandResult lint = promtool_check(
      promtool,
      "# HELP svl_requests a counter without _total\n# TYPE svl_requests counter\nsvl_requests 1\n");
  CHECK(lint.exit_code != 0);
  CHECK(lint.output.find("_total") != std::string::npos);
}
