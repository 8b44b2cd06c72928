#pragma once
// A daemon's control plane without its sockets, for unit tests of the admin API: the real
// controller, admin operations, access checks and registry (SQLite in a temp dir) over a fake
// runtime and a gateway that is never started; requests go straight to handle_admin. No Docker,
// no sleeping (specs with initial = 0 start no replica).
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "common/clock.hpp"
#include "gateway/gateway.hpp"
#include "orchestrator/daemon/admin_api.hpp"
#include "orchestrator/spec/spec_json.hpp"
#include "tests/common/temp_dir.hpp"

namespace svl::test {

namespace asio = boost::asio;
using namespace svl::orchestrator;
using nlohmann::json;


// Every image exists; nothing is ever asked to run (initial = 0, min = 0).
class FakeRuntime final : public runtime::ContainerRuntime {
public:
  runtime::Capabilities capabilities() const override { return {}; }
  asio::awaitable<runtime::Result<runtime::Sandbox>> create_sandbox(control::SandboxSpec) override {
    co_return runtime::Error{control::Fault::failed, "fake"};
  }
  asio::awaitable<runtime::Result<std::string>> create_replica(control::ReplicaSpec) override {
    co_return runtime::Error{control::Fault::failed, "fake"};
  }
  asio::awaitable<runtime::Status> start(std::string) override { co_return runtime::Status{}; }
  asio::awaitable<runtime::Status> pause(std::string) override { co_return runtime::Status{}; }
  asio::awaitable<runtime::Status> unpause(std::string) override { co_return runtime::Status{}; }
  asio::awaitable<runtime::Status> stop(std::string, std::chrono::seconds, bool) override { co_return runtime::Status{}; }
  asio::awaitable<runtime::Status> kill(std::string) override { co_return runtime::Status{}; }
  asio::awaitable<runtime::Status> remove(std::vector<std::string>) override { co_return runtime::Status{}; }
  asio::awaitable<runtime::Result<std::vector<control::Observed>>> list() override {
    co_return std::vector<control::Observed>{};
  }
  asio::awaitable<runtime::Result<std::string>> logs_tail(std::string, int) override { co_return std::string(); }
  asio::awaitable<runtime::Result<std::string>> image_id(std::string reference) override {
    co_return "sha256:" + reference;
  }
  void watch(runtime::EventSink) override {}
  void stop_watching() override {}
};

struct NoListener final : gateway::Listener {
  void on_capacity_needed(const std::string&, std::size_t) override {}
  void on_replica_drained(const std::string&, const std::string&) override {}
};

struct Daemon {
  svl::test::TempDir dir;
  asio::io_context ctl{1};
  NoListener listener;
  gateway::Observer observer;
  gateway::Gateway gateway{gateway::Options{}, listener, observer};
  Metrics metrics{"test"};
  FakeRuntime runtime;
  ManualClock clock{TimePoint{} + std::chrono::hours(1000)};
  std::unique_ptr<Registry> registry;
  std::unique_ptr<Controller> controller;
  std::unique_ptr<AdminOps> ops;
  prometheus::Registry prometheus_registry;
  CronMetrics cron_metrics{prometheus_registry};
  std::unique_ptr<CronRunner> cron;
  docker::AsyncClient docker_pool{{}, 1};
  std::unique_ptr<AdminAccess> access;
  std::unique_ptr<AdminContext> context;

  explicit Daemon(std::function<bool(const std::string&)> covers = {}) {
    auto opened = open_registry(dir.path());
    REQUIRE(opened);
    registry = std::move(opened).value();
    ControllerOptions options;
    options.core.instance = dir.path().string();
    options.domains = {"localhost", "fn.example.com"};
    options.certificate_covers = std::move(covers);
    controller = std::make_unique<Controller>(ctl, options, *registry, runtime, gateway, metrics, clock);
    ops = std::make_unique<AdminOps>(ctl, *controller, *registry, runtime, clock);
    cron = std::make_unique<CronRunner>(ctl, CronRunnerOptions{}, controller->core(), *registry, cron_metrics);
    access = std::make_unique<AdminAccess>(*registry, clock);
    context = std::make_unique<AdminContext>(
        AdminContext{*access, *controller, *ops, *cron, *registry, {}, docker_pool, "test", "http://127.0.0.1:8080", {}});
  }
  ~Daemon() {
    ops->stop();
    controller->stop();
    ctl.poll();  // the cancelled lease timer's coroutine ends
  }

  // peer "": the unix socket; else a remote client with that address and Authorization header.
  AdminResponse call(std::string method, std::string path, std::string body = {}, std::string peer = {},
                     std::string authorization = {}) {
    std::optional<AdminResponse> response;
    AdminRequest request{std::move(method), std::move(path), {}, std::move(body), std::move(peer), std::move(authorization), {}};
    asio::co_spawn(ctl, handle_admin(std::move(request), *context),
                   [&](std::exception_ptr e, AdminResponse r) {
                     REQUIRE_FALSE(e);
                     response = std::move(r);
                   });
    while (!response) ctl.run_one();
    return *response;
  }

  // PUT /v1/functions/NAME of a spec with these custom domains.
  AdminResponse deploy(const std::string& name, std::vector<std::string> domains, std::string image = "img") {
    FunctionSpec spec;
    spec.name = name;
    spec.image = image;
    spec.scale.initial = 0;
    spec.custom_domains = std::move(domains);
    json body{{"spec", to_json(spec)}, {"image", image}, {"source_dir", "/src/" + name}, {"force", false}};
    return call("PUT", "/v1/functions/" + name, body.dump());
  }
};

}  // namespace svl::test
