#include "orchestrator/spec/spec_reader.hpp"

#include <algorithm>
#include <filesystem>

#include "orchestrator/spec/capabilities.hpp"
#include "orchestrator/spec/spec_schedule_reader.hpp"
#include "orchestrator/spec/toml_reader.hpp"

namespace svl::orchestrator::detail {
namespace {

using std::chrono::milliseconds;

constexpr std::uint64_t kMiB = 1ull << 20;
// Docker refuses memory limits below 6 MB.
constexpr std::uint64_t kMinMemory = 6 * kMiB;
// The kernel's upper bound for pid_max.
constexpr std::int64_t kMaxPids = 4194304;
// Bounds that catch typos (an extra zero or two) without limiting any real use on one box.
constexpr std::int64_t kMaxConcurrency = 1000000;
constexpr std::int64_t kMaxQueue = 1000000;
constexpr double kMaxColdStartCost = 1e9;  // GB-s; beyond this a function is simply never unloaded
constexpr double kMaxCpus = 1024;

void read_build(Reader& r, const toml::table& t, BuildSpec& build) {
  r.check_known_keys(t, "build", {"context", "dockerfile", "args"});
  if (auto* n = r.read_string(t, "build", "context", build.context); n && build.context.empty())
    r.add(n->source(), "build.context", SpecErrc::bad_value, "must not be empty; \".\" is the folder of svl.toml");
  if (auto* n = r.read_string(t, "build", "dockerfile", build.dockerfile); n && build.dockerfile.empty())
    r.add(n->source(), "build.dockerfile", SpecErrc::bad_value, "must not be empty");
  if (auto* args = r.read_table(t, "build", "args")) r.read_string_table(*args, "build.args", build.args, false);
}

void read_resources(Reader& r, const toml::table& t, ResourcesSpec& res) {
  r.check_known_keys(t, "resources", {"memory", "cpus", "pids"});
  r.read_size(t, "resources", "memory", res.memory_bytes, kMinMemory);
  r.read_number(t, "resources", "cpus", res.cpus, 0, kMaxCpus, false);
  r.read_int(t, "resources", "pids", res.pids, 1, kMaxPids);
}

void read_scale(Reader& r, const toml::table& t, ScaleSpec& scale) {
  r.check_known_keys(t, "scale",
                     {"min", "max", "initial", "target_concurrency", "container_concurrency", "policy", "pause_after",
                      "idle_timeout", "remove_after", "queue", "cold_start_cost", "schedule"});
  const auto* min_node = r.read_int(t, "scale", "min", scale.min, 0, kMaxReplicas);
  const auto* max_node = r.read_int(t, "scale", "max", scale.max, 1, kMaxReplicas);
  const auto* initial_node = r.read_int(t, "scale", "initial", scale.initial, 0, kMaxReplicas);
  r.read_number(t, "scale", "target_concurrency", scale.target_concurrency, 0, kMaxConcurrency, true);
  r.read_int(t, "scale", "container_concurrency", scale.container_concurrency, 0, kMaxConcurrency);
  std::string policy;
  if (auto* n = r.read_string(t, "scale", "policy", policy)) {
    if (auto p = scale_policy_from_string(policy)) scale.policy = *p;
    else r.add(n->source(), "scale.policy", SpecErrc::bad_value,
               in_quotes(policy) + " is not a policy: use \"adaptive\", \"hybrid\" or \"fixed\"");
  }
  const auto* pause_node = r.read_duration_or_off(t, "scale", "pause_after", scale.pause_after);
  const auto* idle_node = r.read_duration(t, "scale", "idle_timeout", scale.idle_timeout, true);
  const auto* remove_node = r.read_duration(t, "scale", "remove_after", scale.remove_after, true);
  r.read_int(t, "scale", "queue", scale.queue, 1, kMaxQueue);
  double cost = 0;
  const auto* cost_node = r.read_number(t, "scale", "cold_start_cost", cost, 0, kMaxColdStartCost, true);
  if (cost_node) scale.cold_start_cost = cost;
  read_schedule_windows(r, t, scale);

  // Cross-key checks, reported where the user most likely needs to edit.
  // The other policies pick their own timeouts: a value here would be silently ignored.
  if (scale.policy != ScalePolicy::fixed) {
    for (auto [node, key] : {std::pair{pause_node, "pause_after"}, std::pair{idle_node, "idle_timeout"},
                             std::pair{remove_node, "remove_after"}}) {
      if (!node) continue;
      r.add(node->source(), dotted("scale", key), SpecErrc::conflict,
            std::string("only used by policy = \"fixed\" (policy is \"") + std::string(to_string(scale.policy)) +
                "\"); remove it, or set policy = \"fixed\"");
    }
  }
  if (cost_node && scale.policy != ScalePolicy::adaptive)
    r.add(cost_node->source(), "scale.cold_start_cost", SpecErrc::conflict,
          std::string("only used by policy = \"adaptive\" (policy is \"") + std::string(to_string(scale.policy)) +
              "\"); remove it, or set policy = \"adaptive\"");
  if ((min_node || max_node) && scale.min > scale.max) {
    const auto* at = max_node ? max_node : min_node;
    r.add(at->source(), max_node ? "scale.max" : "scale.min", SpecErrc::out_of_range,
          "scale.min (" + std::to_string(scale.min) + ") is larger than scale.max (" + std::to_string(scale.max) + ")");
  }
  if ((initial_node || max_node) && scale.initial > scale.max) {
    const auto* at = initial_node ? initial_node : max_node;
    r.add(at->source(), initial_node ? "scale.initial" : "scale.max", SpecErrc::out_of_range,
          "scale.initial (" + std::to_string(scale.initial) + ") is larger than scale.max (" + std::to_string(scale.max) +
              ")");
  }
}

void read_health(Reader& r, const toml::table& t, HealthSpec& health) {
  r.check_known_keys(t, "health", {"path", "start_timeout"});
  if (auto* n = r.read_string(t, "health", "path", health.path)) {
    if (health.path.empty() || health.path[0] != '/' || has_space_or_control(health.path))
      r.add(n->source(), "health.path", SpecErrc::bad_value,
            in_quotes(health.path) + " is not a request path: it must start with '/' and contain no spaces");
  }
  r.read_duration(t, "health", "start_timeout", health.start_timeout, false);
}

void read_http(Reader& r, const toml::table& t, HttpSpec& http) {
  r.check_known_keys(t, "http", {"timeout", "max_body"});
  r.read_duration(t, "http", "timeout", http.timeout, false);
  r.read_size(t, "http", "max_body", http.max_body_bytes, 1);
}

void read_dev(Reader& r, const toml::table& t, DevSpec& dev) {
  r.check_known_keys(t, "dev", {"mount"});
  const toml::table* mount = r.read_table(t, "dev", "mount");
  if (!mount) return;
  r.read_string_table(*mount, "dev.mount", dev.mount, false);
  for (auto&& [key, value] : *mount) {
    const std::string from(key.str());
    const auto to = dev.mount.find(from);
    if (to == dev.mount.end()) continue;  // already reported
    const std::filesystem::path rel(from);
    const bool inside = !from.empty() && rel.is_relative() &&
                        std::none_of(rel.begin(), rel.end(), [](const auto& part) { return part == ".."; });
    if (!inside)
      r.add(key.source(), detail::dotted("dev.mount", from), SpecErrc::bad_value,
            "must be a folder inside the project, relative to svl.toml, e.g. src = \"/app/src\"");
    else if (to->second.empty() || to->second[0] != '/' || to->second.find(':') != std::string::npos)
      r.add(value.source(), detail::dotted("dev.mount", from), SpecErrc::bad_value,
            "must be an absolute path in the container without ':', e.g. \"/app/src\"");
  }
}

// Each string of the array `key` of `t` (KEY[i] in errors: another type is one), given to
// `take(item, key, text)`.
template <class Take>
void read_string_array(Reader& r, const toml::table& t, std::string_view prefix, std::string_view key,
                       std::string_view want, Take take) {
  const toml::node* node = r.typed(t, prefix, key, toml::node_type::array, want);
  if (!node) return;
  const auto& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& item = array[i];
    const std::string at = dotted(prefix, key) + "[" + std::to_string(i) + "]";
    if (!item.is_string())
      r.add(item.source(), at, SpecErrc::wrong_type, "expected a string, got " + std::string(type_name(item.type())));
    else
      take(item, at, item.as_string()->get(), i);
  }
}

void read_custom_domains(Reader& r, const toml::table& root, std::vector<std::string>& out) {
  std::vector<std::size_t> written_at;  // each of out's entries' index in the array
  read_string_array(r, root, "", "custom_domains", "an array of host names, e.g. [\"api.example.com\"]",
                    [&](const toml::node& item, const std::string& key, const std::string& domain, std::size_t i) {
    if (auto problem = custom_domain_problem(domain); !problem.empty()) {
      r.add(item.source(), key, SpecErrc::bad_value, in_quotes(domain) + " is not a valid domain: " + problem);
      return;
    }
    if (auto seen = std::find(out.begin(), out.end(), domain); seen != out.end()) {
      r.add(item.source(), key, SpecErrc::bad_value,
            in_quotes(domain) + " is listed twice (also custom_domains[" + std::to_string(written_at[static_cast<std::size_t>(seen - out.begin())]) + "])");
      return;
    }
    out.push_back(domain);
    written_at.push_back(i);
  });
}

void read_cap_add(Reader& r, const toml::table& t, std::vector<std::string>& out) {
  read_string_array(r, t, "run", "cap_add", "an array of capability names, e.g. [\"NET_BIND_SERVICE\"]",
                    [&](const toml::node& item, const std::string& key, const std::string& text, std::size_t) {
    std::string name;
    if (auto problem = capability_problem(text, name); !problem.empty())
      r.add(item.source(), key, SpecErrc::bad_value, in_quotes(text) + ": " + problem);
    else if (std::find(out.begin(), out.end(), name) != out.end())
      r.add(item.source(), key, SpecErrc::bad_value, in_quotes(text) + " is listed twice");
    else
      out.push_back(name);
  });
}

// [secrets]: KEY = "secret-name" (a file) or KEY = { secret = "secret-name", as = "env" }.
void read_secrets(Reader& r, const toml::table& t, FunctionSpec& spec) {
  for (auto&& [key, value] : t) {
    const std::string name(key.str());
    const std::string path = dotted("secrets", name);
    if (!is_env_name(name)) {
      r.add(key.source(), path, SpecErrc::bad_value,
            in_quotes(name) + " is not a valid name in the replica: use letters, digits and '_', not starting with a digit");
      continue;
    }
    SecretMount mount;
    const toml::node* secret_node = &value;
    if (const auto* table = value.as_table()) {
      r.check_known_keys(*table, path, {"secret", "as"});
      secret_node = r.read_string(*table, path, "secret", mount.secret);
      if (!secret_node && !table->contains("secret")) {
        r.add(value.source(), path + ".secret", SpecErrc::missing_key, "required: the secret's name, e.g. secret = \"db-password\"");
        continue;
      }
      std::string as = "file";
      if (const auto* as_node = r.read_string(*table, path, "as", as); as_node && as != "file" && as != "env")
        r.add(as_node->source(), path + ".as", SpecErrc::bad_value, in_quotes(as) + " is not a kind: use \"file\" or \"env\"");
      mount.env = as == "env";
      if (!secret_node) continue;
    } else if (const auto* text = value.as_string()) {
      mount.secret = text->get();
    } else {
      r.add(value.source(), path, SpecErrc::wrong_type,
            "expected a secret's name or a table { secret = \"...\", as = \"env\" }, got " + std::string(type_name(value.type())));
      continue;
    }
    if (auto problem = secret_name_problem(mount.secret); !problem.empty()) {
      r.add(secret_node->source(), path, SpecErrc::bad_value, in_quotes(mount.secret) + " is not a valid secret name: " + problem);
      continue;
    }
    if (mount.env && (name == "PORT" || spec.env.count(name))) {
      r.add(key.source(), path, SpecErrc::conflict,
            name == "PORT" ? "svl sets PORT from the top-level port key" : "also set in [env]: keep one of them");
      continue;
    }
    spec.secrets[name] = std::move(mount);
  }
}

void read_run(Reader& r, const toml::table& t, RunSpec& run) {
  r.check_known_keys(t, "run", {"init", "cap_add"});
  r.read_bool(t, "run", "init", run.init);
  read_cap_add(r, t, run.cap_add);
}

}  // namespace

std::string dotted(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return toml_key(key);
  return std::string(prefix) + "." + toml_key(key);
}

std::optional<FunctionSpec> read_spec(const toml::table& root, std::string_view file, std::vector<SpecError>& errors) {
  const std::size_t errors_before = errors.size();
  Reader r(file, errors);
  FunctionSpec spec;
  r.check_known_keys(root, "",
                     {"name", "port", "image", "custom_domains", "build", "env", "resources", "scale", "health", "http",
                      "run", "dev", "cron", "secrets"});

  if (auto* n = r.read_string(root, "", "name", spec.name)) {
    if (!is_valid_function_name(spec.name))
      r.add(n->source(), "name", SpecErrc::bad_value,
            in_quotes(spec.name) +
                " is not a valid name: use 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'");
  } else if (!root.contains("name")) {
    r.add({}, "name", SpecErrc::missing_key, "required, e.g. name = \"hello\"");
  }

  std::int64_t port = spec.port;
  if (r.read_int(root, "", "port", port, 1, 65535)) spec.port = static_cast<std::uint16_t>(port);

  if (auto* n = r.read_string(root, "", "image", spec.image)) {
    if (spec.image.empty() || has_space_or_control(spec.image))
      r.add(n->source(), "image", SpecErrc::bad_value, in_quotes(spec.image) + " is not an image reference");
  }
  if (const toml::table* build = r.read_table(root, "", "build")) {
    spec.build.emplace();
    read_build(r, *build, *spec.build);
    if (root.contains("image"))
      r.add(build->source(), "build", SpecErrc::conflict,
            "set either image or [build], not both (image runs a prebuilt image, [build] builds one)");
  }
  if (!root.contains("image") && !root.contains("build"))
    r.add({}, "image", SpecErrc::missing_key, "set image = \"...\" to run a prebuilt image, or add a [build] table");

  read_custom_domains(r, root, spec.custom_domains);
  if (auto* env = r.read_table(root, "", "env")) r.read_string_table(*env, "env", spec.env, true);
  if (auto* t = r.read_table(root, "", "resources")) read_resources(r, *t, spec.resources);
  if (auto* t = r.read_table(root, "", "scale")) read_scale(r, *t, spec.scale);
  if (auto* t = r.read_table(root, "", "health")) read_health(r, *t, spec.health);
  if (auto* t = r.read_table(root, "", "http")) read_http(r, *t, spec.http);
  if (auto* t = r.read_table(root, "", "run")) read_run(r, *t, spec.run);
  if (auto* t = r.read_table(root, "", "dev")) read_dev(r, *t, spec.dev);
  read_crons(r, root, spec);
  if (auto* t = r.read_table(root, "", "secrets")) read_secrets(r, *t, spec);

  if (errors.size() != errors_before) return std::nullopt;
  return spec;
}

}  // namespace svl::orchestrator::detail
