#include "orchestrator/daemon/admin_requests.hpp"

#include "orchestrator/secrets/secret_box.hpp"

#include <charconv>
#include <limits>

#include "common/units.hpp"
#include "orchestrator/spec/spec_parser.hpp"

namespace svl::orchestrator {

using nlohmann::json;

namespace {

RequestError fail(std::string message, json details = nullptr) { return RequestError{std::move(message), std::move(details)}; }

// Sets problem (and returns nullopt) when the parameter is present but not a duration.
std::optional<std::chrono::milliseconds> duration_param(const QueryParams& query, const std::string& key,
                                                        std::string& problem) {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  auto parsed = parse_duration(it->second);
  if (auto* e = std::get_if<ParseError>(&parsed)) {
    problem = key + ": " + e->message;
    return std::nullopt;
  }
  return std::get<std::chrono::milliseconds>(parsed);
}

// A whole decimal number in [lo, hi]; nullopt for anything else ("abc", "3x", "-1", overflow).
std::optional<long> integer_param(const std::string& text, long lo, long hi) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi) return std::nullopt;
  return value;
}

Parsed<LeaseRequest> lease_from(const json& body, const std::string& where) {
  if (!body.is_object()) return fail(where + "expected a JSON object");
  if (!body.contains("session") || !body["session"].is_string() || body["session"].get<std::string>().empty() ||
      body["session"].get<std::string>().size() > 200)
    return fail(where + "session: expected the svl dev session's token (a string of 1 to 200 characters)");
  LeaseRequest out;
  out.session = body["session"].get<std::string>();
  if (body.contains("lease_seconds")) {
    const auto& n = body["lease_seconds"];
    if (!n.is_number_integer() || n.get<long long>() < 1 || n.get<long long>() > 3600)
      return fail(where + "lease_seconds: expected a whole number of seconds from 1 to 3600");
    out.length = std::chrono::seconds(n.get<long long>());
  }
  return out;
}

}  // namespace

Parsed<LeaseRequest> parse_lease_request(std::string_view body_text) {
  auto body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return fail("body: expected a JSON object");
  return lease_from(body, "");
}

Parsed<DeployRequest> parse_deploy_request(std::string_view body_text, std::string_view name) {
  auto body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return fail("body: expected a JSON object");
  if (!body.contains("spec") || !body["spec"].is_object()) return fail("spec: missing (an object holding the svl.toml keys)");
  if (!body.contains("image") || !body["image"].is_string() || body["image"].get<std::string>().empty())
    return fail("image: missing (the image id or reference to deploy)");
  auto parsed = spec_from_json(body["spec"]);
  if (!parsed) {
    json errors = json::array();
    for (const auto& e : parsed.errors) errors.push_back({{"field", e.key}, {"message", e.message}});
    // A key of "" has no name to lead with: say it is in the spec.
    const auto& first = parsed.errors.front();
    return fail(first.key.empty() ? "spec: " + first.to_string() : first.to_string(), std::move(errors));
  }
  if (parsed.spec->name != name)
    return fail("spec.name: \"" + parsed.spec->name + "\" does not match the URL's function \"" + std::string(name) +
                "\"");
  // json::value() would throw (a 500) on a value of the wrong type.
  if (body.contains("source_dir") && !body["source_dir"].is_string()) return fail("source_dir: expected a string");
  if (body.contains("force") && !body["force"].is_boolean()) return fail("force: expected true or false");
  DeployRequest out;
  out.spec = std::move(*parsed.spec);
  out.image = body["image"].get<std::string>();
  out.source_dir = body.value("source_dir", std::string());
  out.force = body.value("force", false);
  if (body.contains("dev")) {
    auto lease = lease_from(body["dev"], "dev.");
    if (auto* e = std::get_if<RequestError>(&lease)) return *e;
    out.dev = std::get<LeaseRequest>(lease);
  }
  return out;
}

Parsed<std::optional<long>> parse_rollback_request(std::string_view body_text) {
  auto body = body_text.empty() ? json::object() : json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return fail("body: expected a JSON object");
  std::optional<long> revision;
  if (body.contains("revision")) {
    if (!body["revision"].is_number_integer()) return fail("revision: expected an integer");
    revision = body["revision"].get<long>();
  }
  return revision;
}

Parsed<SecretSetRequest> parse_secret_set_request(std::string_view body_text) {
  auto body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return fail("body: expected a JSON object");
  SecretSetRequest out;
  if (!body.contains("value") || !body["value"].is_string()) return fail("value: expected a base64 string");
  const auto& text = body["value"].get_ref<const std::string&>();
  if (text.size() > (secrets::kMaxSecretBytes + 2) / 3 * 4)
    return fail("value: larger than the limit of " + std::to_string(secrets::kMaxSecretBytes) + " bytes (64 KiB)");
  if (!secrets::from_base64(text, out.value)) return fail("value: not valid base64");
  if (out.value.size() > secrets::kMaxSecretBytes)
    return fail("value: larger than the limit of " + std::to_string(secrets::kMaxSecretBytes) + " bytes (64 KiB)");
  if (body.contains("roll")) {
    if (!body["roll"].is_boolean()) return fail("roll: expected true or false");
    out.roll = body["roll"].get<bool>();
  }
  return out;
}

Parsed<ScaleRequest> parse_scale_request(std::string_view body_text) {
  auto body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return fail("body: expected a JSON object");
  ScaleRequest out;
  for (const char* key : {"min", "max"}) {
    if (!body.contains(key)) continue;
    if (!body[key].is_number_integer()) return fail(std::string(key) + ": expected an integer");
    (std::string(key) == "min" ? out.min : out.max) = body[key].get<long>();
  }
  if (!out.min && !out.max) return fail("min: give min, max or both");
  return out;
}

Parsed<ReadyQuery> parse_ready_query(const QueryParams& query) {
  ReadyQuery out;
  std::string problem;
  out.timeout = duration_param(query, "timeout", problem).value_or(std::chrono::seconds(60));
  if (!problem.empty()) return fail(problem);
  if (auto it = query.find("revision"); it != query.end()) {
    auto revision = integer_param(it->second, 1, std::numeric_limits<long>::max());
    if (!revision) return fail("revision: \"" + it->second + "\" is not a revision number (1 or more)");
    out.revision = *revision;
  }
  return out;
}

Parsed<LogsQuery> parse_logs_query(const QueryParams& query) {
  LogsQuery out;
  if (auto it = query.find("tail"); it != query.end()) {
    auto tail = integer_param(it->second, 0, std::numeric_limits<int>::max());
    if (!tail) return fail("tail: \"" + it->second + "\" is not a number of lines (0 or more)");
    out.tail = static_cast<int>(*tail);
  }
  std::string problem;
  out.since = duration_param(query, "since", problem);
  if (!problem.empty()) return fail(problem);
  out.follow = query.count("follow") && query.at("follow") != "0";
  return out;
}

Parsed<std::size_t> parse_cron_query(const QueryParams& query) {
  std::size_t limit = 20;
  if (auto it = query.find("limit"); it != query.end()) {
    auto n = integer_param(it->second, 1, static_cast<long>(kCronRunsKept));
    if (!n) return fail("limit: \"" + it->second + "\" is not a number of runs (1 to " + std::to_string(kCronRunsKept) + ")");
    limit = static_cast<std::size_t>(*n);
  }
  return limit;
}

Parsed<UsageQuery> parse_usage_query(const QueryParams& query) {
  UsageQuery out;
  std::string problem;
  out.since = duration_param(query, "since", problem);
  if (!problem.empty()) return fail(problem);
  if (auto it = query.find("function"); it != query.end() && !it->second.empty()) out.function = it->second;
  return out;
}

bool match_function(const std::string& path, std::string& name, std::string& verb) {
  static const std::string prefix = "/v1/functions/";
  if (path.rfind(prefix, 0) != 0) return false;
  auto rest = path.substr(prefix.size());
  auto slash = rest.find('/');
  name = rest.substr(0, slash);
  verb = slash == std::string::npos ? "" : rest.substr(slash + 1);
  return !name.empty();
}

}  // namespace svl::orchestrator
