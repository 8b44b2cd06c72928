// svl_metrics_demo: serves a Metrics instance fed with moving sample data, so the
// Prometheus proof (prometheus_proof.sh) can be tested without the daemon.
// Prints "port N" once listening; runs until --seconds pass or SIGTERM/SIGINT.
#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "orchestrator/metrics/metrics_server.hpp"
#include "tests/metrics/sample_data.hpp"

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Serve svl metrics with sample data"};
  std::string listen = "127.0.0.1:0";
  int seconds = 120;
  app.add_option("--listen", listen, "ADDR:PORT for /metrics (port 0: any free port)");
  app.add_option("--seconds", seconds, "Exit after this many seconds")->check(CLI::Range(1, 3600));
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);

  svl::orchestrator::Metrics metrics("demo");
  svl::orchestrator::CronMetrics cron(*metrics.registry());
  std::error_code ec;
  auto server = svl::orchestrator::MetricsServer::start(listen, metrics, ec);
  if (!server) {
    std::cerr << "svl_metrics_demo: " << listen << ": " << ec.message() << "\n";
    return 1;
  }
  std::cout << "port " << server->port() << std::endl;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (int round = 0; !stop_requested && std::chrono::steady_clock::now() < deadline; ++round) {
    svl::test::record_sample_data(metrics, round);
    svl::test::record_cron_sample_data(cron, round);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return 0;
}
