// Custom domains end to end: `svl up` of a function with custom_domains, requests by Host through
// the real gateway, a clash refused by the daemon, `svl status` listing them. One cold start.
#include <doctest/doctest.h>

#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;

TEST_CASE("a custom domain routes by Host with the whole path, another function cannot take it") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args({"--domain", "localhost", "--domain", "fn.test"}));
  auto api = svl::test::write_function(
      tmp.path(), "api", fn_toml("", "custom_domains = [\"api.example.com\"]\n[env]\nGREETING = \"from api\"\n"));
  auto up = d.cli({"up", api.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  CHECK_MESSAGE(up.out.find("http://api.example.com:" + std::to_string(d.gateway_port()) + "/") != std::string::npos,
                up.out);
  CHECK(up.err.find("warning:") == std::string::npos);  // no TLS: nothing to warn about

  auto by_domain = svl::test::get(d.gateway_port(), "/env/GREETING", "API.example.com");
  CHECK(by_domain.status == 200);
  CHECK(by_domain.body == "from api\n");  // the whole path reached the app: nothing stripped
  CHECK(svl::test::get(d.gateway_port(), "/env/GREETING", "api.fn.test").body == "from api\n");
  auto unknown = svl::test::get(d.gateway_port(), "/", "www.example.com");
  CHECK(unknown.status == 404);

  // Another folder's function asking for the same domain, or for api's NAME.<domain>, is refused
  // and nothing of it is deployed.
  auto other = svl::test::write_function(tmp.path(), "other",
                                         fn_toml("", "custom_domains = [\"api.example.com\", \"api.fn.test\"]\n"));
  auto refused = d.cli({"up", other.string(), "--quiet"});
  CHECK(refused.exit_code != 0);
  CHECK_MESSAGE(refused.err.find("custom domain api.example.com is already used by function 'api'") != std::string::npos,
                refused.err);
  CHECK(refused.err.find("custom domain api.fn.test is the address of function 'api' (NAME.fn.test)") !=
        std::string::npos);
  CHECK(status_of(d, "other").is_null());
  CHECK(svl::test::get(d.gateway_port(), "/env/GREETING", "api.example.com").body == "from api\n");

  auto status = d.cli({"status", "api"});
  REQUIRE(status.exit_code == 0);
  CHECK_MESSAGE(status.out.find("custom domains:  api.example.com\n") != std::string::npos, status.out);
  CHECK(status.out.find("url:             http://api.example.com:" + std::to_string(d.gateway_port()) + "/\n") !=
        std::string::npos);
}
