// The admin API's request parsing with canned bodies and query strings.
#include <doctest/doctest.h>

#include <string>

#include "orchestrator/daemon/admin_requests.hpp"

using namespace svl::orchestrator;
using namespace std::chrono_literals;

namespace {

template <class T>
std::string error_of(const Parsed<T>& parsed) {
  auto* e = std::get_if<RequestError>(&parsed);
  return e ? e->message : std::string("(no error)");
}

const std::string kSpec = R"("spec": {"name": "hello", "image": "img", "port": 8080, "scale": {"max": 3}})";

}  // namespace

TEST_CASE("a deploy body gives the spec, image, source folder and force flag") {
  auto parsed = parse_deploy_request(R"({"image": "sha256:ab", "source_dir": "/src", "force": true, )" + kSpec + "}",
                                     "hello");
  auto* deploy = std::get_if<DeployRequest>(&parsed);
  REQUIRE_MESSAGE(deploy, error_of(parsed));
  CHECK(deploy->spec.name == "hello");
  CHECK(deploy->spec.scale.max == 3);
  CHECK(deploy->image == "sha256:ab");
  CHECK(deploy->source_dir == "/src");
  CHECK(deploy->force);
}

TEST_CASE("a bad deploy body names the field") {
  CHECK(error_of(parse_deploy_request("not json", "hello")) == "body: expected a JSON object");
  CHECK(error_of(parse_deploy_request(R"({"image": "x"})", "hello")).rfind("spec: ", 0) == 0);
  CHECK(error_of(parse_deploy_request("{" + kSpec + "}", "hello")).rfind("image: ", 0) == 0);
  CHECK(error_of(parse_deploy_request(R"({"image": "x", )" + kSpec + "}", "other")).rfind("spec.name: ", 0) == 0);
  auto parsed = parse_deploy_request(R"({"image": "x", "spec": {"name": "hello", "image": "i", "port": 0}})", "hello");
  auto* e = std::get_if<RequestError>(&parsed);
  REQUIRE(e);
  CHECK(e->message.find("port") != std::string::npos);
  REQUIRE(e->details.is_array());
  CHECK(e->details.at(0).at("field") == "port");
}

TEST_CASE("rollback takes an optional integer revision") {
  auto empty = parse_rollback_request("");
  REQUIRE(std::holds_alternative<std::optional<long>>(empty));
  CHECK_FALSE(std::get<std::optional<long>>(empty).has_value());
  auto three = parse_rollback_request(R"({"revision": 3})");
  REQUIRE(std::holds_alternative<std::optional<long>>(three));
  CHECK(std::get<std::optional<long>>(three) == 3);
  CHECK(error_of(parse_rollback_request(R"({"revision": "3"})")) == "revision: expected an integer");
  CHECK(error_of(parse_rollback_request("[]")) == "body: expected a JSON object");
}

TEST_CASE("scale takes min, max or both") {
  auto parsed = parse_scale_request(R"({"max": 4})");
  auto* scale = std::get_if<ScaleRequest>(&parsed);
  REQUIRE(scale);
  CHECK_FALSE(scale->min.has_value());
  CHECK(scale->max == 4);
  CHECK(error_of(parse_scale_request("{}")) == "min: give min, max or both");
  CHECK(error_of(parse_scale_request(R"({"min": 1.5})")) == "min: expected an integer");
}

TEST_CASE("query strings of ready, logs and usage") {
  auto ready = parse_ready_query({{"revision", "7"}, {"timeout", "30s"}});
  REQUIRE(std::holds_alternative<ReadyQuery>(ready));
  CHECK(std::get<ReadyQuery>(ready).revision == 7);
  CHECK(std::get<ReadyQuery>(ready).timeout == 30s);
  CHECK(error_of(parse_ready_query({{"timeout", "soon"}})).rfind("timeout: ", 0) == 0);

  auto logs = parse_logs_query({{"tail", "20"}, {"since", "10m"}, {"follow", "1"}});
  REQUIRE(std::holds_alternative<LogsQuery>(logs));
  CHECK(std::get<LogsQuery>(logs).tail == 20);
  CHECK(std::get<LogsQuery>(logs).since == 10min);
  CHECK(std::get<LogsQuery>(logs).follow);
  auto defaults = parse_logs_query({});
  REQUIRE(std::holds_alternative<LogsQuery>(defaults));
  CHECK(std::get<LogsQuery>(defaults).tail == 100);
  CHECK_FALSE(std::get<LogsQuery>(defaults).follow);

  auto usage = parse_usage_query({{"function", "hello"}, {"since", "24h"}});
  REQUIRE(std::holds_alternative<UsageQuery>(usage));
  CHECK(std::get<UsageQuery>(usage).function == "hello");
  CHECK(std::get<UsageQuery>(usage).since == 24h);
  CHECK(error_of(parse_usage_query({{"since", "1y"}})).rfind("since: ", 0) == 0);
}

TEST_CASE("function paths split into name and verb") {
  std::string name, verb;
  CHECK(match_function("/v1/functions/hello/scale", name, verb));
  CHECK(name == "hello");
  CHECK(verb == "scale");
  CHECK(match_function("/v1/functions/hello", name, verb));
  CHECK(verb.empty());
  CHECK_FALSE(match_function("/v1/functions/", name, verb));
  CHECK_FALSE(match_function("/v2/functions/x", name, verb));
}

TEST_CASE("revision and tail must be whole numbers in range, not read as 0 or wrapped") {
  // Found by fuzz/admin_requests_fuzz.cpp: atol/atoi read "abc" as 0 (the newest revision, no
  // lines), took negative numbers, and overflowed on long ones.
  for (const char* bad : {"abc", "", "3x", "-1", "0", "99999999999999999999", " 3"})
    CHECK_MESSAGE(error_of(parse_ready_query({{"revision", bad}})).rfind("revision: ", 0) == 0, bad);
  for (const char* bad : {"abc", "", "-5", "1.5", "99999999999"})
    CHECK_MESSAGE(error_of(parse_logs_query({{"tail", bad}})).rfind("tail: ", 0) == 0, bad);
  auto zero = parse_logs_query({{"tail", "0"}});
  REQUIRE(std::holds_alternative<LogsQuery>(zero));
  CHECK(std::get<LogsQuery>(zero).tail == 0);
}

TEST_CASE("a deploy body's source_dir and force of the wrong type are a 400, not an exception") {
  // json::value() threw type_error, which the admin server turned into a 500.
  CHECK(error_of(parse_deploy_request(R"({"image": "x", "source_dir": 1, )" + kSpec + "}", "hello")) ==
        "source_dir: expected a string");
  CHECK(error_of(parse_deploy_request(R"({"image": "x", "force": "yes", )" + kSpec + "}", "hello")) ==
        "force: expected true or false");
}

TEST_CASE("a spec error on an empty JSON key still names where it is") {
  // Found by fuzz/admin_requests_fuzz.cpp: the message was "unknown key; ..." with no field.
  // The key is written as TOML writes it: an empty one is "".
  auto message = error_of(parse_deploy_request(R"({"image": "x", "spec": {"": 1, "name": "hello", "image": "i"}})", "hello"));
  CHECK(message.rfind("\"\": unknown key", 0) == 0);
}

TEST_CASE("svl dev's lease: a session token and a length, in a deploy's dev field or a renewal's body") {
  auto ok = parse_lease_request(R"({"session": "abc", "lease_seconds": 20})");
  REQUIRE(std::holds_alternative<LeaseRequest>(ok));
  CHECK(std::get<LeaseRequest>(ok).session == "abc");
  CHECK(std::get<LeaseRequest>(ok).length == std::chrono::seconds(20));
  CHECK(std::get<LeaseRequest>(parse_lease_request(R"({"session": "abc"})")).length == std::chrono::seconds(15));
  CHECK(error_of(parse_lease_request(R"({"lease_seconds": 20})")).rfind("session: ", 0) == 0);
  CHECK(error_of(parse_lease_request(R"({"session": "a", "lease_seconds": 0})")).rfind("lease_seconds: ", 0) == 0);
  CHECK(error_of(parse_lease_request(R"({"session": "a", "lease_seconds": "9"})")).rfind("lease_seconds: ", 0) == 0);

  auto deploy = parse_deploy_request(R"({"image": "x", "dev": {"session": "s1"}, )" + kSpec + "}", "hello");
  REQUIRE(std::holds_alternative<DeployRequest>(deploy));
  REQUIRE(std::get<DeployRequest>(deploy).dev);
  CHECK(std::get<DeployRequest>(deploy).dev->session == "s1");
  CHECK_FALSE(std::get<DeployRequest>(parse_deploy_request(R"({"image": "x", )" + kSpec + "}", "hello")).dev);
  CHECK(error_of(parse_deploy_request(R"({"image": "x", "dev": {"session": 1}, )" + kSpec + "}", "hello"))
            .rfind("dev.session: ", 0) == 0);
}

TEST_CASE("PUT /v1/secrets/NAME: a base64 value up to 64 KiB, binary allowed, and roll") {
  auto ok = parse_secret_set_request(R"({"value": "AP9h", "roll": true})");
  REQUIRE(std::holds_alternative<SecretSetRequest>(ok));
  CHECK(std::get<SecretSetRequest>(ok).value == std::string("\0\xff" "a", 3));
  CHECK(std::get<SecretSetRequest>(ok).roll);
  auto message = [](std::string_view body) {
    auto r = parse_secret_set_request(body);
    return std::holds_alternative<RequestError>(r) ? std::get<RequestError>(r).message : std::string("accepted");
  };
  CHECK(message("not json").starts_with("body:"));
  CHECK(message("{}").starts_with("value:"));
  CHECK(message(R"({"value": 3})").starts_with("value:"));
  CHECK(message(R"({"value": "@@@"})") == "value: not valid base64");
  CHECK(message(R"({"value": "eA==", "roll": "yes"})").starts_with("roll:"));
  const std::string at_limit(3 * 21845 + 1, 'a');  // 65536 bytes of value
  std::string big(65537, 'a');
  // Base64 of 65536 'a' bytes is accepted; one byte more is refused as too large.
  auto b64 = [](const std::string& bytes) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
      unsigned n = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 | (unsigned char)bytes[i + 2];
      out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], t[n & 63]};
    }
    if (bytes.size() - i == 1) {
      unsigned n = (unsigned char)bytes[i] << 16;
      out += {t[n >> 18], t[(n >> 12) & 63], '=', '='};
    } else if (bytes.size() - i == 2) {
      unsigned n = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8;
      out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], '='};
    }
    return out;
  };
  CHECK(message("{\"value\": \"" + b64(at_limit) + "\"}") == "accepted");
  CHECK(message("{\"value\": \"" + b64(big) + "\"}").find("64 KiB") != std::string::npos);
}
