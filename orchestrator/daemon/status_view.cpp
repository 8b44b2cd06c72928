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

namespace {

std::int64_t unix_seconds(schedule::sys_seconds t) { return t.time_since_epoch().count(); }

// The window in force and the next change, each time in its window's own zone.
nlohmann::json schedule_status(const control::FunctionCore& f) {
  const auto& windows = f.windows();
  const auto& plan = f.schedule_plan();
  if (windows.empty()) return nullptr;
  const auto& specs = f.spec().scale.schedule;
  nlohmann::json j{{"windows", nlohmann::json::array()}, {"in_force", nullptr}, {"next_change", nullptr},
                   {"ahead", nullptr}, {"ready_min", f.scheduled_min()},
                   {"overridden", f.config().min_override.has_value()}};
  for (std::size_t i = 0; i < specs.size(); ++i) {
    nlohmann::json w{{"window", i + 1}, {"start", specs[i].start}, {"end", specs[i].end},
                     {"timezone", specs[i].timezone}, {"min", specs[i].min}};
    w["max"] = specs[i].max ? nlohmann::json(*specs[i].max) : nlohmann::json(nullptr);
    j["windows"].push_back(std::move(w));
  }
  if (!plan) return j;
  const auto& zone = [&](std::optional<std::size_t> w) -> const schedule::TimeZone& {
    return windows[w.value_or(0)].start.zone();
  };
  const auto& in = plan->in_force;
  if (in.window) {
    j["in_force"] = {{"window", *in.window + 1}, {"min", in.min}};
    j["in_force"]["max"] = in.max ? nlohmann::json(*in.max) : nlohmann::json(nullptr);
    if (in.since) j["in_force"]["since"] = {{"unix", unix_seconds(*in.since)}, {"local", zone(in.window).format(*in.since)}};
  }
  if (in.next_change)
    j["next_change"] = {{"unix", unix_seconds(*in.next_change)}, {"local", zone(in.window).format(*in.next_change)}};
  const auto& lead = plan->lead;
  if (lead.starts_at && lead.begin_at)
    j["ahead"] = {{"window", lead.window.value_or(0) + 1},
                  {"min", lead.min},
                  {"lead_seconds", lead.lead.count()},
                  {"starts", {{"unix", unix_seconds(*lead.starts_at)}, {"local", zone(lead.window).format(*lead.starts_at)}}},
                  {"ready_from", {{"unix", unix_seconds(*lead.begin_at)}, {"local", zone(lead.window).format(*lead.begin_at)}}},
                  {"started", lead.in_lead}};
  return j;
}

// Each [secrets] entry: names and versions only. `stale`: the secret was set since the revision
// was made, and its replicas still run with the older version.
nlohmann::json secrets_status(const FunctionSpec& spec, const SecretVersions& running, Registry& registry) {
  SecretVersions current;
  if (auto all = registry.list_secrets())
    for (const auto& s : *all) current[s.name] = s.version;
  auto out = nlohmann::json::array();
  for (const auto& [key, mount] : spec.secrets) {
    const auto ran = running.find(mount.secret);
    const auto now = current.find(mount.secret);
    nlohmann::json entry{{"key", key},
                         {"secret", mount.secret},
                         {"as", mount.env ? "env" : "file"},
                         {"version", ran == running.end() ? nlohmann::json(nullptr) : nlohmann::json(ran->second)},
                         {"current_version", now == current.end() ? nlohmann::json(nullptr) : nlohmann::json(now->second)}};
    entry["stale"] = ran != running.end() && now != current.end() && ran->second < now->second;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

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
  j["schedule"] = schedule_status(f);
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
    SecretVersions running;  // what the current revision's replicas were made with
    if (auto revisions = registry->list_revisions(name))
      for (const auto& r : *revisions) {
        j["revisions"].push_back(
            {{"revision", r.number},
             {"image", r.image_id},
             {"created_at", std::chrono::duration_cast<std::chrono::seconds>(r.created_at.time_since_epoch()).count()},
             {"current", r.number == f.revision()},
             {"secret_versions", r.secret_versions}});
        if (r.number == f.revision()) running = r.secret_versions;
      }
    if (!f.spec().secrets.empty()) j["secrets"] = secrets_status(f.spec(), running, *registry);
    j["replica_list"] = nlohmann::json::array();
    for (const auto& s : f.replicas().slots())
      j["replica_list"].push_back({{"slot", s.index}, {"phase", control::to_string(s.phase)}, {"revision", s.revision},
                                   {"container", s.replica_id}, {"sandbox", s.sandbox_id}, {"host_port", s.reach.host_port}, {"netns", s.reach.netns}});
    if (!failure.logs.empty()) j["failure_logs"] = failure.logs;
  }
  return j;
}

}  // namespace svl::orchestrator
