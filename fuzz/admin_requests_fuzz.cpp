// An admin request as "METHOD TARGET\n" followed by its body, e.g.
//   PUT /v1/functions/hello
//   {"spec": {...}, "image": "sha256:..."}
// The target is split as the admin server does (Boost.URL, decoded path and query); the parse
// function of the route then either gives a request or a 400 whose message names a field, and
// the JSON answer built from that message can be written.
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/url/parse.hpp>

#include "fuzz/fuzz_check.hpp"
#include "orchestrator/daemon/admin_requests.hpp"
#include "orchestrator/spec/function_spec.hpp"

using namespace svl::orchestrator;
using nlohmann::json;

namespace {

constexpr auto kYear = std::chrono::hours(24 * 365);

// Answers as admin_api.cpp writes them.
void check_error(const RequestError& e) {
  FUZZ_CHECK(!e.message.empty());
  FUZZ_CHECK(e.message.find(": ") != std::string::npos);  // "field: what is wrong"
  FUZZ_CHECK(e.details.is_null() || (e.details.is_array() && !e.details.empty()));
  json body{{"error", e.message}};
  if (!e.details.is_null()) body["details"] = e.details;
  const std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);  // as admin_api.cpp
  FUZZ_CHECK(json::parse(text, nullptr, false).is_object());
}

template <class T>
const T* check(const Parsed<T>& parsed) {
  if (auto* e = std::get_if<RequestError>(&parsed)) {
    check_error(*e);
    return nullptr;
  }
  return &std::get<T>(parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view request_line = input.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  const auto space = request_line.find(' ');
  if (space == std::string_view::npos) return 0;
  const std::string method(request_line.substr(0, space));
  const std::string_view target = request_line.substr(space + 1);

  auto url = boost::urls::parse_origin_form(target);
  if (!url) return 0;
  const std::string path = std::string(url->path());
  QueryParams query;
  for (auto param : url->params()) query[std::string(param.key)] = std::string(param.value);

  if (path == "/v1/usage") {
    const auto parsed = parse_usage_query(query);  // check() points into it
    if (auto* usage = check(parsed)) {
      FUZZ_CHECK(!usage->since || (usage->since->count() >= 0 && *usage->since <= kYear));
      FUZZ_CHECK(!usage->function || !usage->function->empty());
    }
    return 0;
  }
  std::string name, verb;
  if (!match_function(path, name, verb)) return 0;
  FUZZ_CHECK(!name.empty() && name.find('/') == std::string::npos);
  FUZZ_CHECK(path == "/v1/functions/" + name + (verb.empty() ? "" : "/" + verb) ||
             (verb.empty() && path == "/v1/functions/" + name + "/"));

  if (verb.empty() && method == "PUT") {
    const auto parsed = parse_deploy_request(body, name);
    if (auto* deploy = check(parsed)) {
      FUZZ_CHECK(deploy->spec.name == name);
      FUZZ_CHECK(is_valid_function_name(deploy->spec.name));
      FUZZ_CHECK(!deploy->image.empty());
      if (deploy->dev) FUZZ_CHECK(!deploy->dev->session.empty() && deploy->dev->length.count() >= 1);
    }
  } else if (verb == "lease") {
    const auto parsed = parse_lease_request(body);
    if (auto* lease = check(parsed)) {
      FUZZ_CHECK(!lease->session.empty() && lease->session.size() <= 200);
      FUZZ_CHECK(lease->length.count() >= 1 && lease->length.count() <= 3600);
    }
  } else if (verb == "rollback") {
    const auto parsed = parse_rollback_request(body);
    (void)check(parsed);  // the registry answers for revisions that do not exist
  } else if (verb == "scale") {
    const auto parsed = parse_scale_request(body);
    if (auto* scale = check(parsed)) {
      FUZZ_CHECK(scale->min || scale->max);  // their range is the controller's to check
    }
  } else if (verb == "ready") {
    const auto parsed = parse_ready_query(query);
    if (auto* ready = check(parsed)) {
      FUZZ_CHECK(ready->revision >= 0);
      FUZZ_CHECK(ready->revision > 0 || !query.count("revision"));
      FUZZ_CHECK(ready->timeout.count() >= 0 && ready->timeout <= kYear);
    }
  } else if (verb == "logs") {
    const auto parsed = parse_logs_query(query);
    if (auto* logs = check(parsed)) {
      FUZZ_CHECK(logs->tail >= 0);
      FUZZ_CHECK(!logs->since || (logs->since->count() >= 0 && *logs->since <= kYear));
    }
  }
  return 0;
}
