#include "orchestrator/daemon/status_view.hpp"

#include "orchestrator/spec/spec_json.hpp"

namespace svl::orchestrator {

std::vector<std::string> function_urls(const std::string& name, const std::vector<std::string>& custom_domains,
                                       const StatusContext& ctx) {
  const bool tls = ctx.tls_port != 0;
  const std::uint16_t port = tls ? ctx.tls_port : ctx.gateway_port;
  const std::string scheme = tls ? "https://" : "http://";
  const std::string suffix = (port == (tls ? 443 : 80) ? "" : ":" + std::to_string(port)) + "/";
  const std::string plain = ctx.gateway_port == 80 ? "" : ":" + std::to_string(ctx.gateway_port);
  std::vector<std::string> urls;
  if (!ctx.domains.empty()) urls.push_back(scheme + name + "." + ctx.domains.front() + suffix);
  for (const auto& d : custom_domains) urls.push_back(scheme + d + suffix);
  urls.push_back("http://" + ctx.gateway_host + plain + "/fn/" + name + "/");
  return urls;
}

nlohmann::json function_status(const control::FunctionCore& f, const gateway::LoadSnapshot& load,
                               const StatusContext& ctx, Registry* registry) {
  const auto c = f.replicas().counts();
  std::string state;
  if (f.crash_loop().backing_off(ctx.now)) state = "crash-loop";
  else if (c.ready > 0) state = "ready";
  else if (c.starting > 0) state = "starting";
  else if (c.paused > 0) state = "paused";
  else if (c.stopping > 0) state = "stopping";  // until the runtime reports the exit
  else state = "scaled-to-zero";
  const std::string& name = f.name();
  nlohmann::json j{
      {"name", name},
      {"revision", f.revision()},
      {"image", f.config().image},
      {"state", state},
      {"replicas", {{"starting", c.starting}, {"ready", c.ready}, {"draining", c.draining}, {"paused", c.paused},
                    {"stopping", c.stopping}, {"stopped", c.stopped}}},
      {"desired", f.desired()},
      {"panic", f.panic()},
      {"reason", f.last_reason()},
      {"min", f.effective_min()},
      {"max", f.effective_max()},
      {"policy", std::string(to_string(f.spec().scale.policy))},
      {"inflight", load.inflight},
      {"queued", load.queued},
      {"requests", load.requests_total},
      {"urls", function_urls(name, f.spec().custom_domains, ctx)},
      {"custom_domains", f.spec().custom_domains},
  };
  j["keep_alive_plan"] = f.keep_alive_plan().empty() ? nlohmann::json(nullptr) : nlohmann::json(f.keep_alive_plan());
  j["last_cold_start"] = nullptr;
  if (const auto& cs = f.last_cold_start()) j["last_cold_start"] = {{"tier", std::string(control::to_string(cs->from))}, {"seconds", cs->seconds}};
  // Why it cannot serve now; and the last failure, kept after a replica has served again.
  const auto& failure = f.failure();
  j["not_ready_reason"] = failure.current ? nlohmann::json(failure.message) : nlohmann::json(nullptr);
  j["last_failure"] = nullptr;
  if (!failure.message.empty())
    j["last_failure"] = {{"message", failure.message},
                         {"seconds_ago", std::chrono::duration<double>(ctx.now - failure.at).count()}};
  if (registry) {
    j["spec"] = to_json(f.spec());
    j["revisions"] = nlohmann::json::array();
    if (auto revisions = registry->list_revisions(name))
      for (const auto& r : *revisions)
        j["revisions"].push_back(
            {{"revision", r.number},
             {"image", r.image_id},
             {"created_at", std::chrono::duration_cast<std::chrono::seconds>(r.created_at.time_since_epoch()).count()},
             {"current", r.number == f.revision()}});
    j["replica_list"] = nlohmann::json::array();
    for (const auto& s : f.replicas().slots())
      j["replica_list"].push_back({{"slot", s.index}, {"phase", control::to_string(s.phase)}, {"revision", s.revision},
                                   {"container", s.replica_id}, {"sandbox", s.sandbox_id}, {"host_port", s.reach.host_port}, {"netns", s.reach.netns}});
    if (!failure.logs.empty()) j["failure_logs"] = failure.logs;
  }
  return j;
}

}  // namespace svl::orchestrator
