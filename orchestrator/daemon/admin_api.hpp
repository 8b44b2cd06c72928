#pragma once
// The admin API's routes: JSON in, JSON out, errors that name the offending field.
//   GET    /v1/health
//   GET    /v1/functions                      list
//   GET    /v1/functions/NAME                 status with revisions and replicas
//   PUT    /v1/functions/NAME                 {"spec": {...}, "image": "...", "source_dir": "...", "force": false}
//   POST   /v1/functions/NAME/ready?revision=N&timeout=30s   wait until ready, or why not
//   DELETE /v1/functions/NAME
//   POST   /v1/functions/NAME/rollback        {"revision": N}   (optional: the previous one)
//   POST   /v1/functions/NAME/scale           {"min": N, "max": M}
//   GET    /v1/functions/NAME/logs?tail=N&since=10m&follow=1   text, streamed
//   GET    /v1/functions/NAME/cron?limit=N    triggers, their next fire times and latest runs
//   GET    /v1/usage?function=NAME&since=24h   (with "cost" per function when [pricing] is set)
//   GET    /v1/secrets                        names, sizes, versions, when set, users (never values)
//   PUT    /v1/secrets/NAME                   {"value": "<base64>", "roll": false}
//   DELETE /v1/secrets/NAME
//   POST   /v1/builds?function=NAME&dockerfile=F&args={...}   body: a tar; answers NDJSON lines, then the image
//   GET    /v1/tokens, POST /v1/tokens {"name", "scope"}, DELETE /v1/tokens/NAME   (admin_access.hpp)
// Requests from the TLS listener pass AdminAccess::check first (token and scope).
#include <boost/asio/awaitable.hpp>

#include "orchestrator/admin/admin_server.hpp"
#include "orchestrator/daemon/admin_access.hpp"
#include "orchestrator/daemon/admin_ops.hpp"
#include "orchestrator/daemon/controller.hpp"
#include "orchestrator/daemon/cron_runner.hpp"
#include "orchestrator/daemon/pricing.hpp"
#include "orchestrator/daemon/secret_store.hpp"
#include "orchestrator/docker/async_client.hpp"
#include "orchestrator/docker/client.hpp"

namespace svl::orchestrator {

struct AdminContext {
  AdminAccess& access;     // tokens and scopes of remote requests
  Controller& controller;  // views: status, list, container ids
  AdminOps& ops;           // changes: deploy, remove, rollback, scale
  CronRunner& cron;        // svl cron: triggers and their runs
  Registry& registry;
  docker::ClientOptions docker;  // followed logs are streamed with clients of their own (they can last long)
  docker::AsyncClient& docker_pool;  // every other Docker call
  std::string version;
  std::string gateway_url;
  Pricing pricing;  // prices for /v1/usage's cost; none set: no cost in the answer
  SecretStore* secrets = nullptr;  // /v1/secrets; null: 404
};

boost::asio::awaitable<AdminResponse> handle_admin(AdminRequest request, AdminContext& context);
// /v1/secrets[/NAME] (secrets_api.cpp).
boost::asio::awaitable<AdminResponse> handle_secrets(const AdminRequest& request, AdminContext& context);
// POST /v1/builds (builds_api.cpp).
boost::asio::awaitable<AdminResponse> handle_build(const AdminRequest& request, AdminContext& context);

}  // namespace svl::orchestrator
