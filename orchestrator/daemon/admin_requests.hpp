#pragma once
// The admin API's request parsing, apart from the handlers: JSON bodies and query strings in,
// typed requests or a 400 message naming the offending field out. No Controller, no Asio, so
// it is tested with canned input and fuzzed (fuzz/admin_requests_fuzz.cpp).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "orchestrator/registry/cron_runs.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator {

// Always answered with 400: "field: what is wrong", plus per-field details when there are several.
struct RequestError {
  std::string message;
  nlohmann::json details;  // null, or [{"field": ..., "message": ...}]
};
template <class T>
using Parsed = std::variant<T, RequestError>;

using QueryParams = std::map<std::string, std::string>;

// svl dev's lease: {"session": "<token>", "lease_seconds": N}. In a deploy's "dev" field, and
// the body of POST /v1/functions/NAME/lease (a renewal).
struct LeaseRequest {
  std::string session;
  std::chrono::seconds length{15};
};
Parsed<LeaseRequest> parse_lease_request(std::string_view body);

// PUT /v1/functions/NAME: {"spec": {...}, "image": "...", "source_dir": "...", "force": false,
// "dev": {lease}} (dev: a dev deploy, held by svl dev's lease)
struct DeployRequest {
  FunctionSpec spec;
  std::string image;
  std::string source_dir;
  bool force = false;
  std::optional<LeaseRequest> dev;
};
Parsed<DeployRequest> parse_deploy_request(std::string_view body, std::string_view name);

// POST /v1/functions/NAME/rollback: {"revision": N}, or an empty body for the previous revision.
Parsed<std::optional<long>> parse_rollback_request(std::string_view body);

// POST /v1/functions/NAME/scale: {"min": N, "max": M}, at least one of them.
struct ScaleRequest {
  std::optional<long> min, max;
};
Parsed<ScaleRequest> parse_scale_request(std::string_view body);

// POST /v1/functions/NAME/ready?revision=N&timeout=30s
struct ReadyQuery {
  long revision = 0;  // 0: the newest
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
};
Parsed<ReadyQuery> parse_ready_query(const QueryParams& query);

// GET /v1/functions/NAME/logs?tail=N&since=10m&follow=1
struct LogsQuery {
  int tail = 100;
  std::optional<std::chrono::milliseconds> since;
  bool follow = false;
};
Parsed<LogsQuery> parse_logs_query(const QueryParams& query);

// GET /v1/functions/NAME/cron?limit=N: runs per trigger, 1 to kCronRunsKept (default 20).
Parsed<std::size_t> parse_cron_query(const QueryParams& query);

// GET /v1/usage?function=NAME&since=24h
struct UsageQuery {
  std::optional<std::string> function;
  std::optional<std::chrono::milliseconds> since;
};
Parsed<UsageQuery> parse_usage_query(const QueryParams& query);

// PUT /v1/secrets/NAME: {"value": "<base64>", "roll": false}; the value may be binary, at most
// secrets::kMaxSecretBytes once decoded.
struct SecretSetRequest {
  std::string value;
  bool roll = false;  // a new revision of every function using it
};
Parsed<SecretSetRequest> parse_secret_set_request(std::string_view body);

// Splits "/v1/functions/NAME/verb" into NAME and verb; false when the path is not of that form.
bool match_function(const std::string& path, std::string& name, std::string& verb);

}  // namespace svl::orchestrator
