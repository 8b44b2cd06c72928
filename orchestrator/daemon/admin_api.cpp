#include "orchestrator/daemon/admin_api.hpp"

#include "orchestrator/docker/async_asio.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "orchestrator/daemon/admin_reply.hpp"
#include "orchestrator/daemon/admin_requests.hpp"
#include "orchestrator/daemon/threaded_stream.hpp"

namespace svl::orchestrator {

namespace asio = boost::asio;
using asio::awaitable;
using nlohmann::json;

namespace {

AdminResponse reply(unsigned status, const json& body) { return json_reply(status, body); }
AdminResponse error(unsigned status, const std::string& message, const json& details = nullptr) {
  return json_error(status, message, details);
}

AdminResponse from(const ControlError& e) { return error(e.status, e.message, e.details); }

AdminResponse bad_request(const RequestError& e) { return error(400, e.message, e.details); }

awaitable<AdminResponse> put_function(const AdminRequest& req, const std::string& name, AdminContext& ctx) {
  auto parsed = parse_deploy_request(req.body, name);
  if (auto* e = std::get_if<RequestError>(&parsed)) co_return bad_request(*e);
  // Named locals, not temporaries, in the co_await (GCC 12 coroutine temporaries bug).
  auto& deploy = std::get<DeployRequest>(parsed);
  auto outcome = co_await ctx.ops.deploy(std::move(deploy));
  if (auto* e = std::get_if<ControlError>(&outcome)) co_return from(*e);
  auto& ok = std::get<DeployOutcome>(outcome);
  co_return reply(ok.created ? 201 : 200,
                  json{{"name", name}, {"revision", ok.revision}, {"created", ok.created}, {"warnings", ok.warnings}});
}

// Logs of every replica container. A plain read goes through the Docker pool like any other
// call; with follow, one thread per container streams new lines with a client of its own (a
// stream can last hours and would hold a pool worker the whole time).
awaitable<AdminResponse> logs_response(const AdminRequest& req, const std::string& name, AdminContext& ctx,
                                       asio::any_io_executor executor) {
  auto ids = ctx.controller.replica_container_ids(name);
  auto parsed = parse_logs_query(req.query);
  if (auto* e = std::get_if<RequestError>(&parsed)) co_return bad_request(*e);
  const auto& query = std::get<LogsQuery>(parsed);
  docker::LogsOptions opts;
  opts.tail = query.tail;
  if (query.since) {
    auto now = std::chrono::system_clock::now();
    opts.since = std::chrono::duration_cast<std::chrono::seconds>((now - *query.since).time_since_epoch()).count();
  }
  AdminResponse response;
  response.content_type = "text/plain; charset=utf-8";
  if (!query.follow) {
    for (const auto& id : ids) {
      auto read = [id, opts](docker::Client& c) { return c.logs(id, opts); };
      auto logs = co_await docker::async_call(ctx.docker_pool, read, asio::use_awaitable);
      if (!logs) continue;
      const std::string prefix = id.substr(0, 12) + " | ";
      for (const auto& line : logs->lines) response.body += prefix + line.text + "\n";
    }
    co_return response;
  }

  std::vector<StreamJob> jobs;
  for (const auto& id : ids)
    jobs.push_back([id, opts, options = ctx.docker](ChunkQueue& queue, std::stop_token stop) {
      docker::Client client(options);
      const std::string prefix = id.substr(0, 12) + " | ";
      (void)client.follow_logs(id, opts, [&](const docker::LogLine& line) {
        queue.push(prefix + line.text + "\n");
        return !stop.stop_requested();
      }, stop);
    });
  co_return threaded_stream(std::move(jobs), executor, response.content_type);
}

}  // namespace

awaitable<AdminResponse> handle_admin(AdminRequest req, AdminContext& ctx) {
  auto executor = co_await asio::this_coro::executor;
  const auto& path = req.path;
  const auto& method = req.method;
  if (auto refused = ctx.access.check(req)) co_return *refused;
  if (auto tokens = ctx.access.handle_tokens(req)) co_return *tokens;

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
    auto parsed = parse_usage_query(req.query);
    if (auto* e = std::get_if<RequestError>(&parsed)) co_return bad_request(*e);
    const auto& query = std::get<UsageQuery>(parsed);
    WallTime from{};
    if (query.since) from = std::chrono::system_clock::now() - *query.since;
    auto usage = ctx.registry.usage(query.function ? std::optional<std::string_view>(*query.function) : std::nullopt, from);
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
  if (path == "/v1/secrets" || path.starts_with("/v1/secrets/")) co_return co_await handle_secrets(req, ctx);
  if (path == "/v1/builds") co_return co_await handle_build(req, ctx);
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
      if (auto e = co_await ctx.ops.remove(name)) co_return from(*e);
      co_return reply(200, json{{"deleted", name}});
    }
    co_return error(405, "method: " + method + " is not allowed on " + path);
  }
  if (verb == "ready" && method == "POST") {
    auto parsed = parse_ready_query(req.query);
    if (auto* e = std::get_if<RequestError>(&parsed)) co_return bad_request(*e);
    const auto& query = std::get<ReadyQuery>(parsed);
    if (auto e = co_await ctx.ops.wait_ready(name, query.revision, query.timeout)) co_return from(*e);
    co_return reply(200, ctx.controller.status(name, false));
  }
  if (verb == "rollback" && method == "POST") {
    auto parsed = parse_rollback_request(req.body);
    if (auto* e = std::get_if<RequestError>(&parsed)) co_return bad_request(*e);
    auto result = co_await ctx.ops.rollback(name, std::get<std::optional<long>>(parsed));
    if (auto* e = std::get_if<ControlError>(&result)) co_return from(*e);
    co_return reply(200, json{{"name", name}, {"revision", std::get<long>(result)}});
  }
  if (verb == "scale" && method == "POST") {
    auto parsed = parse_scale_request(req.body);
    if (auto* e = std::get_if<RequestError>(&parsed)) co_return bad_request(*e);
    const auto& scale = std::get<ScaleRequest>(parsed);
    auto result = co_await ctx.ops.set_scale(name, scale.min, scale.max);
    if (auto* e = std::get_if<ControlError>(&result)) co_return from(*e);
    co_return reply(200, std::get<json>(result));
  }
  if (verb == "lease" && method == "POST") {
    auto parsed = parse_lease_request(req.body);
    if (auto* e = std::get_if<RequestError>(&parsed)) co_return bad_request(*e);
    auto result = ctx.ops.renew(name, std::get<LeaseRequest>(parsed));
    if (auto* e = std::get_if<ControlError>(&result)) co_return from(*e);
    co_return reply(200, std::get<json>(result));
  }
  if (verb == "restart" && method == "POST") {
    if (auto e = ctx.ops.restart(name)) co_return from(*e);
    co_return reply(202, json{{"restarting", name}});
  }
  if (verb == "cron" && method == "GET") {
    auto parsed = parse_cron_query(req.query);
    if (auto* e = std::get_if<RequestError>(&parsed)) co_return bad_request(*e);
    auto view = ctx.cron.view(name, std::get<std::size_t>(parsed));
    if (view.is_null()) co_return error(404, "function " + name + " does not exist");
    co_return reply(200, view);
  }
  if (verb == "logs" && method == "GET") {
    if (ctx.controller.status(name, false).is_null()) co_return error(404, "function " + name + " does not exist");
    auto logs = co_await logs_response(req, name, ctx, executor);
    co_return logs;
  }
  co_return error(404, "path: no such endpoint " + method + " " + path);
}

}  // namespace svl::orchestrator
