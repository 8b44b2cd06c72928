// Custom domains through the admin API's deploy: clashes refused with a 409 before anything is
// stored, certificate warnings on success. The real controller, admin operations and registry
// (SQLite in a temp dir) over a fake runtime and a gateway that is never started; no Docker, no
// sleeping (the specs start no replica).
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "common/clock.hpp"
#include "gateway/gateway.hpp"
#include "orchestrator/daemon/admin_api.hpp"
#include "orchestrator/daemon/domain_checks.hpp"
#include "orchestrator/daemon/status_view.hpp"
#include "orchestrator/spec/spec_json.hpp"
#include "tests/common/temp_dir.hpp"

namespace asio = boost::asio;
using nlohmann::json;
using namespace svl;
using namespace svl::orchestrator;

namespace {

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

// A daemon's control plane without its sockets: admin requests go straight to handle_admin.
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
    context = std::make_unique<AdminContext>(
        AdminContext{*controller, *ops, *cron, *registry, {}, docker_pool, "test", "http://127.0.0.1:8080", {}});
  }
  ~Daemon() {
    ops->stop();
    controller->stop();
    ctl.poll();  // the cancelled lease timer's coroutine ends
  }

  AdminResponse call(std::string method, std::string path, std::string body = {}) {
    std::optional<AdminResponse> response;
    asio::co_spawn(ctl, handle_admin(AdminRequest{std::move(method), std::move(path), {}, std::move(body)}, *context),
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

json body_of(const AdminResponse& r) { return json::parse(r.body); }

}  // namespace

TEST_CASE("deploy: a custom domain another function uses is a 409 naming it; nothing is stored, the owner keeps it") {
  Daemon d;
  auto billing = d.deploy("billing", {"api.example.com"});
  REQUIRE_MESSAGE(billing.status == 201, billing.body);
  CHECK(body_of(billing)["warnings"] == json::array());  // no TLS: nothing to warn about

  auto clash = d.deploy("shop", {"shop.example.com", "api.example.com"});
  CHECK(clash.status == 409);
  CHECK(body_of(clash)["error"] == "custom domain api.example.com is already used by function 'billing'");
  CHECK(body_of(clash)["details"]["clashes"].size() == 1);
  CHECK_FALSE(d.registry->get_function("shop"));  // nothing stored
  CHECK(d.controller->status("shop", false).is_null());
  CHECK(d.controller->status("billing", false)["custom_domains"] == json{"api.example.com"});

  // Redeploying the owner with the same domains is fine (unchanged), and so is a new revision.
  auto again = d.deploy("billing", {"api.example.com"});
  CHECK(again.status == 200);
  CHECK(body_of(again)["created"] == false);
  auto next = d.deploy("billing", {"api.example.com", "pay.example.com"}, "img2");
  CHECK(next.status == 201);
  CHECK(d.registry->get_function("billing")->current.spec.custom_domains.size() == 2);

  // An existing function that is refused keeps its current revision.
  REQUIRE(d.deploy("shop", {"shop.example.com"}).status == 201);
  auto refused = d.deploy("shop", {"pay.example.com"}, "img3");
  CHECK(refused.status == 409);
  auto shop = d.registry->get_function("shop");
  REQUIRE(shop);
  CHECK(shop->current.number == 1);
  CHECK(shop->current.spec.custom_domains == std::vector<std::string>{"shop.example.com"});

  // Once billing drops a domain, another function may take it.
  REQUIRE(d.deploy("billing", {"api.example.com"}, "img4").status == 201);
  CHECK(d.deploy("shop", {"pay.example.com"}, "img5").status == 201);
}

TEST_CASE("deploy: a custom domain of the form NAME.<base domain> is only for function NAME") {
  Daemon d;
  REQUIRE(d.deploy("billing", {}).status == 201);
  auto taken = d.deploy("shop", {"billing.localhost"});
  CHECK(taken.status == 409);
  CHECK(body_of(taken)["error"] == "custom domain billing.localhost is the address of function 'billing' (NAME.localhost)");
  auto second_base = d.deploy("shop", {"billing.fn.example.com"});
  CHECK(second_base.status == 409);
  auto unborn = d.deploy("shop", {"www.fn.example.com"});
  CHECK(unborn.status == 409);
  CHECK(body_of(unborn)["error"] ==
        "custom domain www.fn.example.com is the address a function named 'www' would get (NAME.fn.example.com); use a "
        "domain outside fn.example.com, or name the function 'www'");
  CHECK_FALSE(d.registry->get_function("shop"));
  // Its own address, a deeper name and the base domain itself route nowhere else: fine.
  CHECK(d.deploy("shop", {"shop.localhost", "a.b.localhost", "localhost", "fn.example.com"}).status == 201);
}

TEST_CASE("deploy: with TLS, each custom domain no certificate covers is a warning; the deploy succeeds") {
  std::vector<std::string> asked;
  Daemon d([&](const std::string& domain) {
    asked.push_back(domain);
    return domain == "api.example.com";
  });
  auto r = d.deploy("api", {"api.example.com", "www.example.com"});
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(body_of(r)["warnings"] ==
        json{"no certificate covers www.example.com (add www.example.com.crt/.key to the certs directory)"});
  CHECK(asked == std::vector<std::string>{"api.example.com", "www.example.com"});
  CHECK(d.registry->get_function("api"));
  auto unchanged = d.deploy("api", {"api.example.com", "www.example.com"});  // every svl up says it again
  CHECK(unchanged.status == 200);
  CHECK(body_of(unchanged)["warnings"].size() == 1);
}

TEST_CASE("status: custom domains and their URLs, https on the TLS port when TLS is on") {
  const std::vector<std::string> domains{"localhost"};
  StatusContext plain{"127.0.0.1", 8080, domains, {}};
  CHECK(function_urls("api", {"api.example.com"}, plain) ==
        std::vector<std::string>{"http://api.localhost:8080/", "http://api.example.com:8080/",
                                 "http://127.0.0.1:8080/fn/api/"});
  StatusContext tls{"127.0.0.1", 8080, domains, {}, 443};
  CHECK(function_urls("api", {"api.example.com", "www.example.com"}, tls) ==
        std::vector<std::string>{"https://api.localhost/", "https://api.example.com/", "https://www.example.com/",
                                 "http://127.0.0.1:8080/fn/api/"});
  StatusContext tls_port{"127.0.0.1", 80, domains, {}, 8443};
  CHECK(function_urls("api", {"api.example.com"}, tls_port) ==
        std::vector<std::string>{"https://api.localhost:8443/", "https://api.example.com:8443/",
                                 "http://127.0.0.1/fn/api/"});
  CHECK(function_urls("api", {}, plain).size() == 2);

  Daemon d;
  REQUIRE(d.deploy("api", {"api.example.com"}).status == 201);
  auto status = body_of(d.call("GET", "/v1/functions/api"));
  CHECK(status["custom_domains"] == json{"api.example.com"});
  CHECK(status["urls"][1] == "http://api.example.com:8080/");
}

TEST_CASE("custom_domain_clashes and certificate_warnings, canned") {
  const std::map<std::string, std::vector<std::string>> deployed{{"a", {"x.example"}}, {"b", {}}};
  CHECK(custom_domain_clashes("a", {"x.example"}, deployed, {"localhost"}).empty());
  CHECK(custom_domain_clashes("c", {"x.example", "b.localhost", "ok.example"}, deployed, {"LocalHost"}) ==
        std::vector<std::string>{"custom domain x.example is already used by function 'a'",
                                 "custom domain b.localhost is the address of function 'b' (NAME.localhost)"});
  CHECK(certificate_warnings({"x.example"}, nullptr).empty());
  CHECK(certificate_warnings({"x.example"}, [](const std::string&) { return true; }).empty());
}
