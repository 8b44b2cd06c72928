// [run] cap_add in svl.toml and in the admin API's JSON: kernel capability names only.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "orchestrator/spec/capabilities.hpp"
#include "orchestrator/spec/spec_json.hpp"
#include "orchestrator/spec/spec_parser.hpp"

using svl::orchestrator::parse_spec;
using svl::orchestrator::spec_from_json;
using svl::orchestrator::spec_hash;
using svl::orchestrator::SpecErrc;
using svl::orchestrator::SpecResult;
using svl::orchestrator::to_json;

namespace {

constexpr std::string_view kMinimal = "name = \"hello\"\nimage = \"hello:latest\"\n";

SpecResult with_run(std::string_view run) {
  return parse_spec(std::string(kMinimal) + "[run]\n" + std::string(run) + "\n", "svl.toml");
}

}  // namespace

TEST_CASE("cap_add: kernel names with or without CAP_, kept in file order without the prefix, none by default") {
  auto none = parse_spec(kMinimal);
  REQUIRE(none);
  CHECK(none.spec->run.cap_add.empty());
  auto r = with_run(R"(cap_add = ["NET_BIND_SERVICE", "CAP_NET_RAW", "CHECKPOINT_RESTORE", "CHOWN"])");
  REQUIRE_MESSAGE(r, svl::orchestrator::to_string(r.errors));
  CHECK(r.spec->run.cap_add == std::vector<std::string>{"NET_BIND_SERVICE", "NET_RAW", "CHECKPOINT_RESTORE", "CHOWN"});
  CHECK(with_run("cap_add = []"));
  CHECK(svl::orchestrator::capability_names().size() == 41);  // CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40)
}

TEST_CASE("cap_add: a bad entry is an error naming the entry and the value") {
  struct Case {
    const char* value;
    SpecErrc code;
    const char* message;
  };
  const Case cases[] = {
      {R"(["NET_RAWW"])", SpecErrc::bad_value, "run.cap_add[0]: \"NET_RAWW\": not a Linux capability (did you mean \"NET_RAW\"?)"},
      {R"(["CAP_SYS_ADMN"])", SpecErrc::bad_value, "\"CAP_SYS_ADMN\": not a Linux capability (did you mean \"SYS_ADMIN\"?)"},
      {R"(["FLY"])", SpecErrc::bad_value, "\"FLY\": not a Linux capability; see capabilities(7)"},
      {R"(["net_raw"])", SpecErrc::bad_value, "\"net_raw\": must be upper case: write \"NET_RAW\""},
      {R"(["ALL"])", SpecErrc::bad_value, "\"ALL\": name each capability the function needs"},
      {R"(["CHOWN", "KILL", "CAP_CHOWN"])", SpecErrc::bad_value, "run.cap_add[2]: \"CAP_CHOWN\" is listed twice"},
      {R"([13])", SpecErrc::wrong_type, "run.cap_add[0]: expected a string, got an integer"},
      {R"("NET_RAW")", SpecErrc::wrong_type, "run.cap_add: expected an array of capability names"},
  };
  for (const auto& c : cases) {
    auto r = with_run(std::string("cap_add = ") + c.value);
    INFO(std::string(c.value) << " -> " << svl::orchestrator::to_string(r.errors));
    REQUIRE_FALSE(r);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].code == c.code);
    CHECK(svl::orchestrator::to_string(r.errors).find(c.message) != std::string::npos);
    CHECK(r.errors[0].line == 4);
  }
}

TEST_CASE("cap_add: written to the JSON only when set, so that older specs keep their hash, the JSON reads back") {
  auto plain = parse_spec(kMinimal);
  REQUIRE(plain);
  CHECK_FALSE(to_json(*plain.spec).contains("run"));
  auto r = with_run("init = false\ncap_add = [\"CAP_NET_BIND_SERVICE\"]");
  REQUIRE(r);
  const auto j = to_json(*r.spec);
  CHECK(j["run"] == nlohmann::json{{"init", false}, {"cap_add", {"NET_BIND_SERVICE"}}});
  auto back = spec_from_json(j);
  REQUIRE_MESSAGE(back, svl::orchestrator::to_string(back.errors));
  CHECK(*back.spec == *r.spec);
  CHECK(spec_hash(*back.spec) != spec_hash(*plain.spec));
  auto bad = spec_from_json(nlohmann::json::parse(R"({"name":"x","image":"x","run":{"cap_add":["NOPE"]}})"));
  REQUIRE_FALSE(bad);
  CHECK(bad.errors[0].key == "run.cap_add[0]");
}

TEST_CASE("[env] may not set SVL_GATEWAY_URL: svl sets it") {
  auto r = parse_spec(std::string(kMinimal) + "[env]\nSVL_GATEWAY_URL = \"http://x\"\n", "svl.toml");
  REQUIRE_FALSE(r);
  CHECK(r.errors[0].code == SpecErrc::conflict);
  CHECK(r.errors[0].key == "env.SVL_GATEWAY_URL");
}
