#include <doctest/doctest.h>

#include "orchestrator/dev/change_plan.hpp"

using svl::dev::ChangePlan;
using svl::dev::plan_changes;

namespace {
svl::orchestrator::FunctionSpec spec_with(std::map<std::string, std::string> mount) {
  svl::orchestrator::FunctionSpec s;
  s.name = "api";
  s.build.emplace();
  s.build->dockerfile = "docker/Dockerfile.dev";
  s.dev.mount = std::move(mount);
  return s;
}
}  // namespace

TEST_CASE("files below a mount restart, anything else rebuilds, manifests always rebuild") {
  const auto node = spec_with({{"src", "/app/src"}});
  CHECK(plan_changes({}, node) == ChangePlan::none);
  CHECK(plan_changes({"src/index.js"}, node) == ChangePlan::restart);
  CHECK(plan_changes({"src/a.js", "src/lib/b.js"}, node) == ChangePlan::restart);
  CHECK(plan_changes({"src/a.js", "README.md"}, node) == ChangePlan::rebuild);
  CHECK(plan_changes({"srcx/a.js"}, node) == ChangePlan::rebuild);  // a prefix is not a folder
  CHECK(plan_changes({"package.json"}, node) == ChangePlan::rebuild);
  CHECK(plan_changes({"src/package.json"}, node) == ChangePlan::rebuild);
  CHECK(plan_changes({"docker/Dockerfile.dev"}, node) == ChangePlan::rebuild);

  const auto python = spec_with({{".", "/app"}});  // the whole folder is mounted
  CHECK(plan_changes({"app.py"}, python) == ChangePlan::restart);
  CHECK(plan_changes({"lib/util.py"}, python) == ChangePlan::restart);
  CHECK(plan_changes({"svl.toml"}, python) == ChangePlan::rebuild);
  CHECK(plan_changes({".env"}, python) == ChangePlan::rebuild);
  CHECK(plan_changes({"requirements.txt"}, python) == ChangePlan::rebuild);

  CHECK(plan_changes({"main.go"}, spec_with({})) == ChangePlan::rebuild);  // compiled: no mounts
}
