// custom_domains in svl.toml and in the admin API's JSON, and stored with the spec in the registry.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "orchestrator/registry/registry.hpp"
#include "orchestrator/registry/sqlite.hpp"
#include "orchestrator/spec/spec_json.hpp"
#include "orchestrator/spec/spec_parser.hpp"
#include "tests/common/temp_dir.hpp"

using svl::orchestrator::custom_domain_problem;
using svl::orchestrator::parse_spec;
using svl::orchestrator::spec_from_json;
using svl::orchestrator::SpecErrc;
using svl::orchestrator::SpecResult;
using svl::orchestrator::to_json;

namespace {

constexpr std::string_view kMinimal = "name = \"hello\"\nimage = \"hello:latest\"\n";

SpecResult with_domains(std::string_view array) {
  return parse_spec(std::string(kMinimal) + "custom_domains = " + std::string(array) + "\n", "svl.toml");
}

}  // namespace

TEST_CASE("custom_domains: host names in file order, none by default") {
  auto none = parse_spec(kMinimal);
  REQUIRE(none);
  CHECK(none.spec->custom_domains.empty());
  auto r = with_domains(R"(["api.example.com", "example.org", "x-1.a.b.c.io", "intranet"])");
  REQUIRE_MESSAGE(r, svl::orchestrator::to_string(r.errors));
  CHECK(r.spec->custom_domains == std::vector<std::string>{"api.example.com", "example.org", "x-1.a.b.c.io", "intranet"});
  CHECK(with_domains("[]"));
}

TEST_CASE("custom_domains: a bad host name is an error naming the entry and the value") {
  struct Case {
    std::string_view value, says;
  };
  for (const auto& c : std::initializer_list<Case>{
           {"API.example.com", "must be lower case: write \"api.example.com\""},
           {"api.example.com:8443", "no port"},
           {"https://api.example.com", "no scheme"},
           {"api.example.com/v1", "no path"},
           {"*.example.com", "wildcards are not supported"},
           {"api.example.com.", "no trailing dot: write it as \"api.example.com\""},
           {"api..example.com", "empty label"},
           {".example.com", "empty label"},
           {"-api.example.com", "label \"-api\" starts or ends with '-'"},
           {"api_v1.example.com", "label \"api_v1\" has a character other than a-z, 0-9 and '-'"},
           {"10.0.0.1", "is an IP address"},
           {"", "must not be empty"},
       }) {
    CAPTURE(c.value);
    auto r = with_domains("[\"ok.example.com\", \"" + std::string(c.value) + "\"]");
    REQUIRE_FALSE(r);
    REQUIRE(r.errors.size() == 1);
    const auto& e = r.errors.front();
    CHECK(e.key == "custom_domains[1]");
    CHECK(e.code == SpecErrc::bad_value);
    CHECK(e.line == 3);
    CHECK(e.message.find("is not a valid domain") != std::string::npos);
    CHECK(e.to_string().find(std::string(c.says)) != std::string::npos);
  }
  const auto full = with_domains(R"(["API.example.com"])");
  REQUIRE_FALSE(full);
  CHECK(full.errors.front().to_string() ==
        "svl.toml:3:19: custom_domains[0]: \"API.example.com\" is not a valid domain: must be lower case: write "
        "\"api.example.com\"");
  CHECK(custom_domain_problem(std::string(64, 'a') + ".com").find("longer than 63") != std::string::npos);
  const std::string label(63, 'a');
  CHECK(custom_domain_problem(label + "." + label + "." + label + "." + label).find("at most 253") != std::string::npos);
  CHECK(custom_domain_problem("a1.example.com2").empty());  // only an all-digit last label is an address
}

TEST_CASE("custom_domains: duplicates and wrong types are errors") {
  auto dup = with_domains(R"(["a.example.com", "Bad", "b.example.com", "a.example.com"])");
  REQUIRE_FALSE(dup);
  REQUIRE(dup.errors.size() == 2);
  CHECK(dup.errors[0].key == "custom_domains[1]");
  CHECK(dup.errors[1].key == "custom_domains[3]");
  CHECK(dup.errors[1].message == "\"a.example.com\" is listed twice (also custom_domains[0])");

  auto text = with_domains(R"("api.example.com")");
  REQUIRE_FALSE(text);
  CHECK(text.errors.front().key == "custom_domains");
  CHECK(text.errors.front().code == SpecErrc::wrong_type);
  auto number = with_domains(R"(["a.example.com", 5])");
  REQUIRE_FALSE(number);
  CHECK(number.errors.front().key == "custom_domains[1]");
  CHECK(number.errors.front().message == "expected a string, got an integer");

  auto json = spec_from_json(nlohmann::json{{"name", "h"}, {"image", "i"}, {"custom_domains", {"ok.example", "A.example"}}});
  REQUIRE_FALSE(json);
  CHECK(json.errors.front().to_string() ==
        "custom_domains[1]: \"A.example\" is not a valid domain: must be lower case: write \"a.example\"");
}

TEST_CASE("custom_domains: JSON round trip, written only when set, so older specs keep their hash") {
  auto r = with_domains(R"(["api.example.com", "www.example.com"])");
  REQUIRE(r);
  const auto json = to_json(*r.spec);
  CHECK(json["custom_domains"] == nlohmann::json{"api.example.com", "www.example.com"});
  auto back = spec_from_json(nlohmann::json::parse(json.dump()));
  REQUIRE_MESSAGE(back, svl::orchestrator::to_string(back.errors));
  CHECK(*back.spec == *r.spec);

  auto plain = parse_spec(kMinimal);
  REQUIRE(plain);
  CHECK_FALSE(to_json(*plain.spec).contains("custom_domains"));
  CHECK(svl::orchestrator::spec_hash(*plain.spec) != svl::orchestrator::spec_hash(*r.spec));
}

TEST_CASE("custom_domains are stored with the revision, a spec stored before the key existed still loads") {
  svl::test::TempDir dir;
  auto spec = *with_domains(R"(["api.example.com"])").spec;
  {
    auto opened = svl::orchestrator::open_registry(dir.path());
    REQUIRE(opened);
    auto& reg = **opened;
    REQUIRE(reg.put_revision("hello", spec, "sha256:1", "/d"));
    auto f = reg.get_function("hello");
    REQUIRE(f);
    CHECK(f->current.spec.custom_domains == std::vector<std::string>{"api.example.com"});
    auto plain = spec;
    plain.custom_domains.clear();
    auto second = reg.put_revision("hello", plain, "sha256:1", "/d");
    REQUIRE(second);
    CHECK(second->created);  // dropping a domain is a new revision
  }
  {  // revision 1 as an older svl wrote it: no custom_domains key at all
    svl::orchestrator::sqlite::Database db((dir.path() / "svl.db").string());
    db.exec(R"(UPDATE revisions SET spec_json = '{"name":"hello","image":"hello:latest","env":{}}' WHERE number = 1)");
  }
  auto opened = svl::orchestrator::open_registry(dir.path());
  REQUIRE(opened);
  auto old = (*opened)->get_revision("hello", 1);
  REQUIRE_MESSAGE(old, (old ? "" : old.error().message));
  CHECK(old->spec.custom_domains.empty());
  CHECK(old->spec.name == "hello");
}
