#include "orchestrator/docker/api_json.hpp"

#include <charconv>
#include <limits>

#include <nlohmann/json.hpp>

namespace svl::docker::api {
namespace {

using nlohmann::json;

Error malformed(std::string_view what, std::string_view detail = {}) {
  std::string message = "malformed " + std::string(what) + " reply";
  if (!detail.empty()) message += ": " + std::string(detail);
  return Error{Errc::malformed_reply, 200, std::move(message)};
}

// Lenient field access: Docker sends null for empty maps and lists.
std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}
bool boolean(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
std::int64_t integer(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (!it->is_number_float()) return 0;
  // A float beyond int64 (Docker sends integers) reads as 0; converting it would be undefined.
  const double v = it->get<double>();
  return v > -9.2e18 && v < 9.2e18 ? static_cast<std::int64_t>(v) : 0;
}
const json& object(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}
std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}
Labels string_map(const json& j, const char* key) {
  Labels out;
  for (const auto& [k, v] : object(j, key).items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

int to_int(std::string_view s, int fallback) {
  int v = fallback;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && p == s.data() + s.size() ? v : fallback;
}

template <class F>
auto parse_object(std::string_view body, std::string_view what, F&& f) -> decltype(f(json{})) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return malformed(what, "not JSON");
  if (!j.is_object()) return malformed(what, "not a JSON object");
  try {
    return f(j);
  } catch (const json::exception& e) {
    return malformed(what, e.what());
  }
}

}  // namespace

Error http_error(long status, std::string_view body) {
  std::string message;
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) message = str(j, "message");
  if (message.empty()) {
    message = std::string(body.substr(0, 1000));
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  }
  if (message.empty()) message = "HTTP " + std::to_string(status);
  Errc code = status == 404   ? Errc::not_found
              : status == 409 ? Errc::conflict
              : status >= 500 ? Errc::server_error
                              : Errc::bad_request;
  return Error{code, static_cast<int>(status), std::move(message)};
}

std::string filters(const std::map<std::string, std::vector<std::string>>& filters) {
  json j = json::object();
  for (const auto& [k, values] : filters)
    if (!values.empty()) j[k] = values;
  return j.dump();
}

std::string container_create_body(const ContainerSpec& spec) {
  json body{{"Image", spec.image}};
  if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
  if (!spec.entrypoint.empty()) body["Entrypoint"] = spec.entrypoint;
  if (!spec.env.empty()) {
    json env = json::array();
    for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
    body["Env"] = env;
  }
  body["Labels"] = spec.labels;
  if (!spec.user.empty()) body["User"] = spec.user;
  if (!spec.stop_signal.empty()) body["StopSignal"] = spec.stop_signal;
  if (spec.stop_timeout_s) body["StopTimeout"] = *spec.stop_timeout_s;

  json host{{"SecurityOpt", json::array()}};
  if (spec.no_new_privileges) host["SecurityOpt"].push_back("no-new-privileges");
  if (spec.publish_port) {
    const std::string port = std::to_string(*spec.publish_port) + "/tcp";
    body["ExposedPorts"] = {{port, json::object()}};
    // HostPort "" lets Docker pick a free port; only loopback can reach it.
    host["PortBindings"] = {{port, json::array({{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}})}};
  }
  if (!spec.network_mode.empty()) host["NetworkMode"] = spec.network_mode;
  if (spec.memory_bytes > 0) {
    host["Memory"] = spec.memory_bytes;
    host["MemorySwap"] = spec.memory_bytes;  // no swap beyond the limit
  }
  if (spec.nano_cpus > 0) host["NanoCpus"] = spec.nano_cpus;
  if (spec.pids_limit > 0) host["PidsLimit"] = spec.pids_limit;
  if (spec.read_only_rootfs) host["ReadonlyRootfs"] = true;
  if (spec.init) host["Init"] = *spec.init;
  if (!spec.binds.empty()) host["Binds"] = spec.binds;
  if (!spec.cap_drop.empty()) host["CapDrop"] = spec.cap_drop;
  if (!spec.cap_add.empty()) host["CapAdd"] = spec.cap_add;
  body["HostConfig"] = host;
  return body.dump();
}

Result<VersionInfo> parse_version(std::string_view body) {
  return parse_object(body, "version", [](const json& j) -> Result<VersionInfo> {
    VersionInfo v{str(j, "Version"), str(j, "ApiVersion"), str(j, "MinAPIVersion"),
                  str(j, "Os"), str(j, "Arch"), str(j, "KernelVersion")};
    if (v.api_version.empty()) return malformed("version", "no ApiVersion");
    return v;
  });
}

Result<std::vector<std::string>> parse_security_options(std::string_view body) {
  return parse_object(body, "info", [](const json& j) -> Result<std::vector<std::string>> {
    return strings(j, "SecurityOptions");
  });
}

Result<std::string> parse_create(std::string_view body, std::string_view what) {
  return parse_object(body, what, [what](const json& j) -> Result<std::string> {
    std::string id = str(j, "Id");
    if (id.empty()) return malformed(what, "no Id");
    return id;
  });
}

Result<ContainerInfo> parse_container_inspect(std::string_view body) {
  return parse_object(body, "container inspect", [](const json& j) -> Result<ContainerInfo> {
    ContainerInfo info;
    info.id = str(j, "Id");
    if (info.id.empty()) return malformed("container inspect", "no Id");
    info.name = str(j, "Name");
    if (!info.name.empty() && info.name.front() == '/') info.name.erase(0, 1);
    const json& config = object(j, "Config");
    info.image = str(config, "Image");
    info.image_id = str(j, "Image");
    info.created = str(j, "Created");
    info.labels = string_map(config, "Labels");
    info.restart_count = static_cast<int>(integer(j, "RestartCount"));
    const json& state = object(j, "State");
    if (state.empty()) return malformed("container inspect", "no State");
    info.state.status = str(state, "Status");
    info.state.running = boolean(state, "Running");
    info.state.paused = boolean(state, "Paused");
    info.state.restarting = boolean(state, "Restarting");
    info.state.oom_killed = boolean(state, "OOMKilled");
    info.state.dead = boolean(state, "Dead");
    info.state.pid = static_cast<int>(integer(state, "Pid"));
    info.state.exit_code = static_cast<int>(integer(state, "ExitCode"));
    info.state.error = str(state, "Error");
    info.state.started_at = str(state, "StartedAt");
    info.state.finished_at = str(state, "FinishedAt");
    const json& host = object(j, "HostConfig");
    info.network_mode = str(host, "NetworkMode");
    info.user = str(config, "User");
    info.memory_bytes = integer(host, "Memory");
    info.nano_cpus = integer(host, "NanoCpus");
    info.pids_limit = integer(host, "PidsLimit");
    info.privileged = boolean(host, "Privileged");
    info.read_only_rootfs = boolean(host, "ReadonlyRootfs");
    info.init = boolean(host, "Init");  // null when not set at create
    info.security_opt = strings(host, "SecurityOpt");
    info.cap_drop = strings(host, "CapDrop");
    info.cap_add = strings(host, "CapAdd");
    for (const auto& [network, settings] : object(object(j, "NetworkSettings"), "Networks").items())
      if (settings.is_object()) info.ip_addresses[network] = str(settings, "IPAddress");
    if (auto m = j.find("Mounts"); m != j.end() && m->is_array())
      for (const auto& mount : *m) info.mount_sources.push_back(str(mount, "Source"));
    for (const auto& [port, bindings] : object(object(j, "NetworkSettings"), "Ports").items()) {
      if (!port.ends_with("/tcp") || !bindings.is_array()) continue;
      int container_port = to_int(std::string_view(port).substr(0, port.size() - 4), -1);
      for (const auto& b : bindings) {
        int host_port = to_int(str(b, "HostPort"), -1);
        // Prefer the IPv4 loopback binding (the only one svl creates).
        if (container_port > 0 && host_port > 0 && !info.host_ports.count(container_port))
          info.host_ports[container_port] = host_port;
      }
    }
    return info;
  });
}

Result<std::vector<ContainerSummary>> parse_container_list(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return malformed("container list", "not a JSON array");
  std::vector<ContainerSummary> out;
  try {
    for (const auto& c : j) {
      if (!c.is_object()) return malformed("container list", "entry is not an object");
      ContainerSummary s;
      s.id = str(c, "Id");
      for (auto name : strings(c, "Names")) {
        if (!name.empty() && name.front() == '/') name.erase(0, 1);
        s.names.push_back(std::move(name));
      }
      s.image = str(c, "Image");
      s.state = str(c, "State");
      s.status = str(c, "Status");
      s.created = integer(c, "Created");
      s.labels = string_map(c, "Labels");
      s.network_mode = str(object(c, "HostConfig"), "NetworkMode");
      out.push_back(std::move(s));
    }
  } catch (const json::exception& e) {
    return malformed("container list", e.what());
  }
  return out;
}

std::string network_create_body(const NetworkSpec& spec) {
  return json{{"Name", spec.name}, {"Driver", spec.driver}, {"CheckDuplicate", true},
              {"Labels", spec.labels}, {"Options", spec.options}}.dump();
}

Result<NetworkInfo> parse_network_inspect(std::string_view body) {
  return parse_object(body, "network inspect", [](const json& j) -> Result<NetworkInfo> {
    NetworkInfo info{str(j, "Id"), str(j, "Name"), str(j, "Driver"), string_map(j, "Labels"), string_map(j, "Options"), "", ""};
    if (info.id.empty()) return malformed("network inspect", "no Id");
    if (auto c = object(j, "IPAM").find("Config"); c != object(j, "IPAM").end() && c->is_array())
      for (const auto& config : *c) {
        const std::string subnet = str(config, "Subnet");
        if (info.subnet.empty() && !subnet.empty() && subnet.find(':') == std::string::npos)
          info.subnet = subnet, info.gateway = str(config, "Gateway");
      }
    return info;
  });
}

Result<ImageInfo> parse_image_inspect(std::string_view body) {
  return parse_object(body, "image inspect", [](const json& j) -> Result<ImageInfo> {
    ImageInfo info;
    info.id = str(j, "Id");
    if (info.id.empty()) return malformed("image inspect", "no Id");
    info.repo_tags = strings(j, "RepoTags");
    info.created = str(j, "Created");
    info.size = integer(j, "Size");
    const json& config = object(j, "Config");
    info.labels = string_map(config, "Labels");
    info.entrypoint = strings(config, "Entrypoint");
    info.cmd = strings(config, "Cmd");
    info.env = strings(config, "Env");
    info.user = str(config, "User");
    for (const auto& [port, ignored] : object(config, "ExposedPorts").items()) info.exposed_ports.push_back(port);
    return info;
  });
}

Result<WaitResult> parse_wait(std::string_view body) {
  return parse_object(body, "container wait", [](const json& j) -> Result<WaitResult> {
    if (!j.contains("StatusCode")) return malformed("container wait", "no StatusCode");
    return WaitResult{static_cast<int>(integer(j, "StatusCode")), str(object(j, "Error"), "Message")};
  });
}

Result<Event> parse_event(std::string_view line) {
  return parse_object(line, "event", [](const json& j) -> Result<Event> {
    Event e;
    e.type = str(j, "Type");
    e.action_text = str(j, "Action");
    if (e.action_text.empty()) e.action_text = str(j, "status");
    e.action = parse_event_action(e.action_text);
    const json& actor = object(j, "Actor");
    e.id = str(actor, "ID");
    if (e.id.empty()) e.id = str(j, "id");
    e.attributes = string_map(actor, "Attributes");
    e.time_nano = integer(j, "timeNano");
    if (e.time_nano == 0) {
      // Seconds; one that does not fit in nanoseconds (no real clock) stays unknown (0).
      constexpr std::int64_t kNanos = 1'000'000'000, kMaxSeconds = std::numeric_limits<std::int64_t>::max() / kNanos;
      const std::int64_t seconds = integer(j, "time");
      if (seconds >= -kMaxSeconds && seconds <= kMaxSeconds) e.time_nano = seconds * kNanos;
    }
    if (auto it = e.attributes.find("exitCode"); it != e.attributes.end()) {
      int code = to_int(it->second, -1);
      if (code >= 0) e.exit_code = code;
    }
    return e;
  });
}

Result<BuildMessage> parse_build_message(std::string_view line) {
  return parse_object(line, "build progress", [](const json& j) -> Result<BuildMessage> {
    BuildMessage m;
    m.stream = str(j, "stream");
    m.status = str(j, "status");
    m.error = str(j, "error");
    if (m.error.empty()) m.error = str(object(j, "errorDetail"), "message");
    m.image_id = str(object(j, "aux"), "ID");
    return m;
  });
}

int compare_versions(std::string_view a, std::string_view b) {
  auto split = [](std::string_view v) {
    auto dot = v.find('.');
    int major = to_int(v.substr(0, dot), 0);
    int minor = dot == std::string_view::npos ? 0 : to_int(v.substr(dot + 1), 0);
    return std::pair{major, minor};
  };
  auto [amaj, amin] = split(a);
  auto [bmaj, bmin] = split(b);
  if (amaj != bmaj) return amaj < bmaj ? -1 : 1;
  if (amin != bmin) return amin < bmin ? -1 : 1;
  return 0;
}

}  // namespace svl::docker::api

namespace svl::docker {

EventAction parse_event_action(std::string_view action) noexcept {
  if (action == "create") return EventAction::create;
  if (action == "start") return EventAction::start;
  if (action == "die") return EventAction::die;
  if (action == "oom") return EventAction::oom;
  if (action == "kill") return EventAction::kill;
  if (action == "stop") return EventAction::stop;
  if (action == "pause") return EventAction::pause;
  if (action == "unpause") return EventAction::unpause;
  if (action == "destroy") return EventAction::destroy;
  return EventAction::other;
}

const char* to_string(EventAction a) noexcept {
  switch (a) {
    case EventAction::create: return "create";
    case EventAction::start: return "start";
    case EventAction::die: return "die";
    case EventAction::oom: return "oom";
    case EventAction::kill: return "kill";
    case EventAction::stop: return "stop";
    case EventAction::pause: return "pause";
    case EventAction::unpause: return "unpause";
    case EventAction::destroy: return "destroy";
    case EventAction::other: return "other";
  }
  return "other";
}

}  // namespace svl::docker
