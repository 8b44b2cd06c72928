// Custom domains through the admin API's deploy: clashes refused with a 409 before anything is
// stored, certificate warnings on success (admin_harness.hpp: no Docker, no sleeping).
#include "orchestrator/daemon/domain_checks.hpp"
#include "orchestrator/daemon/status_view.hpp"
#include "tests/daemon/admin_harness.hpp"

using nlohmann::json;
using namespace svl;
using namespace svl::orchestrator;

namespace {

using svl::test::Daemon;

json body_of(const AdminResponse& r) { return json::parse(r.body); }

}  // namespace

TEST_CASE("deploy: a custom domain another function uses is a 409 naming it, nothing is stored, the owner keeps it") {
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

TEST_CASE("deploy: with TLS, each custom domain no certificate covers is a warning, the deploy succeeds") {
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
