#include "orchestrator/daemon/admin_api.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <mutex>
#include <thread>

#include "common/units.hpp"
#include "orchestrator/spec/spec_parser.hpp"

namespace svl::orchestrator {

namespace asio = boost::asio;
using asio::awaitable;
using nlohmann::json;

namespace {

AdminResponse reply(unsigned status, const json& body) { return AdminResponse{status, body.dump(), "application/json", {}}; }

AdminResponse error(unsigned status, const std::string& message, const json& details = nullptr) {
  json body{{"error", message}};
  if (!details.is_null()) body["details"] = details;
  return reply(status, body);
}

AdminResponse from(const ControlError& e) { return error(e.status, e.message, e.details); }

std::optional<std::chrono::milliseconds> duration_param(const AdminRequest& req, const std::string& key,
                                                        std::string& problem) {
  auto it = req.query.find(key);
  if (it == req.query.end()) return std::nullopt;
  auto parsed = parse_duration(it->second);
  if (auto* e = std::get_if<ParseError>(&parsed)) {
    problem = key + ": " + e->message;
    return std::nullopt;
  }
  return std::get<std::chrono::milliseconds>(parsed);
}

// Splits "/v1/functions/NAME/verb" into NAME and verb.
bool match_function(const std::string& path, std::string& name, std::string& verb) {
  static const std::string prefix = "/v1/functions/";
  if (path.rfind(prefix, 0) != 0) return false;
  auto rest = path.substr(prefix.size());
  auto slash = rest.find('/');
  name = rest.substr(0, slash);
  verb = slash == std::string::npos ? "" : rest.substr(slash + 1);
  return !name.empty();
}

awaitable<AdminResponse> put_function(const AdminRequest& req, const std::string& name, AdminContext& ctx) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) co_return error(400, "body: expected a JSON object");
  if (!body.contains("spec") || !body["spec"].is_object()) co_return error(400, "spec: missing (an object holding the svl.toml keys)");
  if (!body.contains("image") || !body["image"].is_string() || body["image"].get<std::string>().empty())
    co_return error(400, "image: missing (the image id or reference to deploy)");
  auto parsed = spec_from_json(body["spec"]);
  if (!parsed) {
    json errors = json::array();
    for (const auto& e : parsed.errors) errors.push_back({{"field", e.key}, {"message", e.message}});
    co_return error(400, parsed.errors.front().to_string(), errors);
  }
  if (parsed.spec->name != name)
    co_return error(400, "spec.name: \"" + parsed.spec->name + "\" does not match the URL's function \"" + name + "\"");
  std::string source_dir = body.value("source_dir", std::string());
  bool force = body.value("force", false);
  // A named local, not a temporary, in the co_await (GCC 12 coroutine temporaries bug).
  std::string image = body["image"].get<std::string>();
  auto outcome = co_await ctx.controller.deploy(*parsed.spec, image, source_dir, force);
  if (auto* e = std::get_if<ControlError>(&outcome)) co_return from(*e);
  auto& ok = std::get<DeployOutcome>(outcome);
  co_return reply(ok.created ? 201 : 200, json{{"name", name}, {"revision", ok.revision}, {"created", ok.created}});
}

// Logs of every replica container; with follow, one thread per container streams new lines.
AdminResponse logs_response(const AdminRequest& req, const std::string& name, AdminContext& ctx,
                            asio::any_io_executor executor) {
  auto ids = ctx.controller.replica_container_ids(name);
  docker::LogsOptions opts;
  int tail = 100;
  if (auto it = req.query.find("tail"); it != req.query.end()) tail = std::atoi(it->second.c_str());
  opts.tail = tail;
  std::string problem;
  if (auto since = duration_param(req, "since", problem)) {
    auto now = std::chrono::system_clock::now();
    opts.since = std::chrono::duration_cast<std::chrono::seconds>((now - *since).time_since_epoch()).count();
  }
  if (!problem.empty()) return error(400, problem);
  bool follow = req.query.count("follow") && req.query.at("follow") != "0";

  // The threads own only the queue they fill; the response owns the threads' stop switch. When
  // the client goes, the response is destroyed: it asks the threads to stop and lets them finish
  // on their own (Docker's stream is cut within ~50 ms), so nothing joins itself and the control
  // thread never waits.
  struct Queue {
    std::mutex mutex;
    std::deque<std::string> chunks;
    std::atomic<int> running{0};
  };
  struct Followers {
    std::stop_source stop;
    std::vector<std::thread> threads;
    ~Followers() {
      stop.request_stop();
      for (auto& t : threads) t.detach();
    }
  };
  auto queue = std::make_shared<Queue>();
  auto followers = std::make_shared<Followers>();
  for (const auto& id : ids) {
    queue->running++;
    followers->threads.emplace_back([queue, id, opts, follow, options = ctx.docker, stop = followers->stop.get_token()] {
      auto push = [&](std::string text) {
        std::lock_guard lock(queue->mutex);
        queue->chunks.push_back(std::move(text));
      };
      docker::Client client(options);
      const std::string prefix = id.substr(0, 12) + " | ";
      if (follow) {
        (void)client.follow_logs(id, opts, [&](const docker::LogLine& line) {
          push(prefix + line.text + "\n");
          return !stop.stop_requested();
        }, stop);
      } else if (auto logs = client.logs(id, opts)) {
        std::string text;
        for (const auto& line : logs->lines) text += prefix + line.text + "\n";
        push(std::move(text));
      }
      queue->running--;
    });
  }
  AdminResponse response;
  response.content_type = "text/plain; charset=utf-8";
  response.next_chunk = [queue, followers, executor]() -> awaitable<std::optional<std::string>> {
    asio::steady_timer timer(executor);
    for (;;) {
      {
        std::lock_guard lock(queue->mutex);
        if (!queue->chunks.empty()) {
          std::string out;
          while (!queue->chunks.empty()) {
            out += queue->chunks.front();
            queue->chunks.pop_front();
          }
          co_return out;
        }
      }
      if (queue->running == 0) co_return std::nullopt;
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::use_awaitable);
    }
  };
  return response;
}

}  // namespace

awaitable<AdminResponse> handle_admin(AdminRequest req, AdminContext& ctx) {
  auto executor = co_await asio::this_coro::executor;
  const auto& path = req.path;
  const auto& method = req.method;

  if (path == "/v1/health") {
    co_return reply(200, json{{"status", "ok"},
                              {"version", ctx.version},
                              {"docker", ctx.controller.docker_available() ? "ok" : "unavailable"},
                              {"gateway", ctx.gateway_url}});
  }
  if (path == "/v1/functions") {
    if (method != "GET") co_return error(405, "method: " + method + " is not allowed on /v1/functions (use GET)");
    co_return reply(200, ctx.controller.list());
  }
  if (path == "/v1/usage") {
    std::string problem;
    auto since = duration_param(req, "since", problem);
    if (!problem.empty()) co_return error(400, problem);
    std::optional<std::string> function;
    if (auto it = req.query.find("function"); it != req.query.end() && !it->second.empty()) function = it->second;
    WallTime from{};
    if (since) from = std::chrono::system_clock::now() - *since;
    auto usage = ctx.registry.usage(function ? std::optional<std::string_view>(*function) : std::nullopt, from);
    if (!usage) co_return error(usage.error().code == RegistryErrc::not_found ? 404 : 500, usage.error().message);
    json out{{"usage", json::array()}, {"pricing", nullptr}};
    const Pricing& prices = ctx.pricing;
    if (prices.set())
      out["pricing"] = {{"per_million_requests", prices.per_million_requests.value_or(0.0)},
                        {"per_gb_second", prices.per_gb_second.value_or(0.0)},
                        {"currency", prices.currency}};
    for (const auto& u : *usage) {
      json row{{"function", u.function},
               {"requests", u.totals.requests},
               {"container_seconds", u.totals.container_seconds},
               {"gb_seconds", u.totals.gb_seconds},
               {"cold_starts", {{"paused", u.totals.cold_starts_paused},
                                {"stopped", u.totals.cold_starts_stopped},
                                {"removed", u.totals.cold_starts_removed}}}};
      if (prices.set()) {
        const auto cost = cost_of(prices, static_cast<double>(u.totals.requests), u.totals.gb_seconds);
        row["cost"] = {{"requests", cost.requests}, {"compute", cost.compute}, {"total", cost.total()},
                       {"currency", prices.currency}};
      }
      out["usage"].push_back(std::move(row));
    }
    co_return reply(200, out);
  }
  std::string name, verb;
  if (!match_function(path, name, verb)) co_return error(404, "path: no such endpoint " + path);
  if (verb.empty()) {
    if (method == "GET") {
      auto status = ctx.controller.status(name, true);
      if (status.is_null()) co_return error(404, "function " + name + " does not exist");
      co_return reply(200, status);
    }
    if (method == "PUT") co_return co_await put_function(req, name, ctx);
    if (method == "DELETE") {
      if (auto e = co_await ctx.controller.remove(name)) co_return from(*e);
      co_return reply(200, json{{"deleted", name}});
    }
    co_return error(405, "method: " + method + " is not allowed on " + path);
  }
  if (verb == "ready" && method == "POST") {
    std::string problem;
    auto timeout = duration_param(req, "timeout", problem).value_or(std::chrono::seconds(60));
    if (!problem.empty()) co_return error(400, problem);
    long revision = req.query.count("revision") ? std::atol(req.query.at("revision").c_str()) : 0;
    if (auto e = co_await ctx.controller.wait_ready(name, revision, timeout)) co_return from(*e);
    co_return reply(200, ctx.controller.status(name, false));
  }
  if (verb == "rollback" && method == "POST") {
    auto body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) co_return error(400, "body: expected a JSON object");
    std::optional<long> revision;
    if (body.contains("revision")) {
      if (!body["revision"].is_number_integer()) co_return error(400, "revision: expected an integer");
      revision = body["revision"].get<long>();
    }
    auto result = co_await ctx.controller.rollback(name, revision);
    if (auto* e = std::get_if<ControlError>(&result)) co_return from(*e);
    co_return reply(200, json{{"name", name}, {"revision", std::get<long>(result)}});
  }
  if (verb == "scale" && method == "POST") {
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) co_return error(400, "body: expected a JSON object");
    std::optional<long> min, max;
    for (const char* key : {"min", "max"}) {
      if (!body.contains(key)) continue;
      if (!body[key].is_number_integer()) co_return error(400, std::string(key) + ": expected an integer");
      (std::string(key) == "min" ? min : max) = body[key].get<long>();
    }
    if (!min && !max) co_return error(400, "min: give min, max or both");
    auto result = co_await ctx.controller.set_scale(name, min, max);
    if (auto* e = std::get_if<ControlError>(&result)) co_return from(*e);
    co_return reply(200, std::get<json>(result));
  }
  if (verb == "logs" && method == "GET") {
    if (ctx.controller.status(name, false).is_null()) co_return error(404, "function " + name + " does not exist");
    co_return logs_response(req, name, ctx, executor);
  }
  co_return error(404, "path: no such endpoint " + method + " " + path);
}

}  // namespace svl::orchestrator
