#include "orchestrator/spec/spec_json.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/units.hpp"

namespace svl::orchestrator {

nlohmann::json to_json(const FunctionSpec& spec) {
  nlohmann::json out;
  out["name"] = spec.name;
  out["port"] = spec.port;
  if (spec.build) {
    out["build"] = {{"context", spec.build->context},
                    {"dockerfile", spec.build->dockerfile},
                    {"args", spec.build->args}};
  } else {
    out["image"] = spec.image;
  }
  if (!spec.custom_domains.empty()) out["custom_domains"] = spec.custom_domains;  // so older specs keep their hash
  out["env"] = spec.env;
  out["resources"] = {{"memory", format_size(spec.resources.memory_bytes)},
                      {"cpus", spec.resources.cpus},
                      {"pids", spec.resources.pids}};
  out["scale"] = {{"min", spec.scale.min},
                  {"max", spec.scale.max},
                  {"initial", spec.scale.initial},
                  {"target_concurrency", spec.scale.target_concurrency},
                  {"container_concurrency", spec.scale.container_concurrency},
                  {"policy", std::string(to_string(spec.scale.policy))},
                  {"queue", spec.scale.queue}};
  if (spec.scale.policy == ScalePolicy::fixed) {  // the only policy that reads them
    out["scale"]["pause_after"] = spec.scale.pause_after ? format_duration(*spec.scale.pause_after) : "off";
    out["scale"]["idle_timeout"] = format_duration(spec.scale.idle_timeout);
    out["scale"]["remove_after"] = format_duration(spec.scale.remove_after);
  }
  if (spec.scale.cold_start_cost) out["scale"]["cold_start_cost"] = *spec.scale.cold_start_cost;
  if (!spec.scale.schedule.empty()) {  // only when set, so that specs without windows keep their hash
    auto& windows = out["scale"]["schedule"] = nlohmann::json::array();
    for (const auto& w : spec.scale.schedule) {
      nlohmann::json j = {{"start", w.start}, {"end", w.end}, {"timezone", w.timezone}, {"min", w.min}};
      if (w.max) j["max"] = *w.max;
      windows.push_back(std::move(j));
    }
  }
  out["health"] = {{"path", spec.health.path}, {"start_timeout", format_duration(spec.health.start_timeout)}};
  out["http"] = {{"timeout", format_duration(spec.http.timeout)},
                 {"max_body", format_size(spec.http.max_body_bytes)}};
  // Only when not the default, so that specs written before [run] existed keep their hash.
  if (!spec.run.init) out["run"]["init"] = false;
  if (!spec.run.cap_add.empty()) out["run"]["cap_add"] = spec.run.cap_add;
  if (!spec.dev.mount.empty()) out["dev"] = {{"mount", spec.dev.mount}};  // likewise
  if (!spec.cron.empty()) {  // likewise
    auto& crons = out["cron"] = nlohmann::json::array();
    for (const auto& c : spec.cron) {
      nlohmann::json j = {{"schedule", c.schedule},
                          {"timezone", c.timezone},
                          {"path", c.path},
                          {"method", c.method},
                          {"headers", c.headers},
                          {"concurrency", std::string(schedule::to_string(c.concurrency))},
                          {"private", c.private_path},
                          {"catch_up", c.catch_up}};
      if (!c.name.empty()) j["name"] = c.name;
      if (c.body) j["body"] = *c.body;
      if (c.timeout) j["timeout"] = format_duration(*c.timeout);
      crons.push_back(std::move(j));
    }
  }
  if (!spec.secrets.empty()) {  // names only; only when set, so that older specs keep their hash
    auto& secrets = out["secrets"] = nlohmann::json::object();
    for (const auto& [key, mount] : spec.secrets)
      secrets[key] = mount.env ? nlohmann::json{{"secret", mount.secret}, {"as", "env"}} : nlohmann::json(mount.secret);
  }
  return out;
}

std::string canonical_json(const FunctionSpec& spec) {
  // nlohmann::json keeps object keys sorted, numbers print in their shortest exact form.
  return to_json(spec).dump();
}

std::string spec_hash(const FunctionSpec& spec) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (unsigned char c : canonical_json(spec)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace svl::orchestrator
