// [secrets] in svl.toml and the admin API's JSON: names only, every bad entry named with its line.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "orchestrator/spec/spec_json.hpp"
#include "orchestrator/spec/spec_parser.hpp"

using namespace svl::orchestrator;

namespace {

constexpr std::string_view kMinimal = "name = \"hello\"\nimage = \"hello:latest\"\n";

SpecResult with(std::string_view tail) { return parse_spec(std::string(kMinimal) + std::string(tail), "svl.toml"); }

}  // namespace

TEST_CASE("[secrets]: a file by default, or env, names only in the JSON") {
  auto r = with("[env]\nGREETING = \"hi\"\n[secrets]\nDB_PASSWORD = \"db-password\"\n"
                "API_KEY = { secret = \"api.key_1\", as = \"env\" }\nTLS = { secret = \"tls\", as = \"file\" }\n");
  REQUIRE_MESSAGE(r, to_string(r.errors));
  CHECK(r.spec->secrets.at("DB_PASSWORD") == SecretMount{"db-password", false});
  CHECK(r.spec->secrets.at("API_KEY") == SecretMount{"api.key_1", true});
  CHECK(r.spec->secrets.at("TLS") == SecretMount{"tls", false});
  const auto json = to_json(*r.spec);
  CHECK(json["secrets"]["DB_PASSWORD"] == "db-password");
  CHECK(json["secrets"]["API_KEY"] == nlohmann::json{{"secret", "api.key_1"}, {"as", "env"}});
  auto back = spec_from_json(json);
  REQUIRE_MESSAGE(back, to_string(back.errors));
  CHECK(back.spec->secrets == r.spec->secrets);
  // A spec without secrets keeps its JSON (and hash) as before.
  CHECK_FALSE(to_json(*with("").spec).contains("secrets"));
}

TEST_CASE("secret_name_problem: the rule, and what breaks it") {
  CHECK(secret_name_problem("db-password").empty());
  CHECK(secret_name_problem("a.b_c-1").empty());
  CHECK(secret_name_problem(std::string(63, 'a')).empty());
  CHECK_FALSE(secret_name_problem("").empty());
  CHECK_FALSE(secret_name_problem(std::string(64, 'a')).empty());
  CHECK_FALSE(secret_name_problem("-lead").empty());
  CHECK_FALSE(secret_name_problem(".hidden").empty());
  CHECK_FALSE(secret_name_problem("Upper").empty());
  CHECK_FALSE(secret_name_problem("a/b").empty());
  CHECK_FALSE(secret_name_problem("../x").empty());
  CHECK_FALSE(secret_name_problem("sp ace").empty());
}

TEST_CASE("[secrets]: bad entries are errors naming the key and the line") {
  auto r = with("[env]\nTOKEN = \"x\"\n[secrets]\n"
                "A = \"Bad Name\"\n"                          // line 6
                "1X = \"ok\"\n"                               // 7
                "B = 3\n"                                     // 8
                "C = { secret = \"c\", as = \"volume\" }\n"   // 9
                "D = { as = \"env\" }\n"                      // 10
                "E = { secret = \"e\", mode = \"0400\" }\n"   // 11
                "PORT = { secret = \"p\", as = \"env\" }\n"   // 12
                "TOKEN = { secret = \"t\", as = \"env\" }\n"  // 13
                "F = \"../etc/passwd\"\n");                   // 14
  REQUIRE_FALSE(r);
  const std::string all = to_string(r.errors);
  INFO(all);
  auto has = [&](int line, std::string_view key, std::string_view words) {
    for (const auto& e : r.errors)
      if (e.line == line && e.key == key && e.message.find(words) != std::string::npos) return true;
    return false;
  };
  CHECK(has(6, "secrets.A", "\"Bad Name\" is not a valid secret name"));
  CHECK(has(7, "secrets.1X", "not a valid name in the replica"));
  CHECK(has(8, "secrets.B", "expected a secret's name"));
  CHECK(has(9, "secrets.C.as", "\"volume\" is not a kind"));
  CHECK(has(10, "secrets.D.secret", "required"));
  CHECK(has(11, "secrets.E.mode", "unknown key"));
  CHECK(has(12, "secrets.PORT", "PORT"));
  CHECK(has(13, "secrets.TOKEN", "also set in [env]"));
  CHECK(has(14, "secrets.F", "not a valid secret name"));
  CHECK(r.errors.size() == 9);
}

TEST_CASE("[secrets] must be a table") {
  auto r = with("secrets = \"db\"\n");
  REQUIRE_FALSE(r);
  CHECK(r.errors.at(0).key == "secrets");
  CHECK(r.errors.at(0).code == SpecErrc::wrong_type);
}
