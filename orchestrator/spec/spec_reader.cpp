#include "orchestrator/spec/spec_reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <limits>

#include "common/units.hpp"

namespace svl::orchestrator::detail {
namespace {

using std::chrono::milliseconds;

constexpr std::uint64_t kMiB = 1ull << 20;
// Docker refuses memory limits below 6 MB.
constexpr std::uint64_t kMinMemory = 6 * kMiB;
// The kernel's upper bound for pid_max.
constexpr std::int64_t kMaxPids = 4194304;
// Bounds that catch typos (an extra zero or two) without limiting any real use on one box.
constexpr std::int64_t kMaxReplicas = 1000;
constexpr std::int64_t kMaxConcurrency = 1000000;
constexpr std::int64_t kMaxQueue = 1000000;
constexpr double kMaxColdStartCost = 1e9;  // GB-s; beyond this a function is simply never unloaded
constexpr double kMaxCpus = 1024;

std::string toml_key(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
  if (bare) return std::string(key);
  std::string out = "\"";
  for (const unsigned char c : key) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}



std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= ' ' || u == 0x7f;
  });
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string range_text(double lo, double hi) {
  auto fmt = [](double v) {
    if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<std::int64_t>(v));
    return std::to_string(v);
  };
  return "between " + fmt(lo) + " and " + fmt(hi);
}

// Reads values out of tables; every problem becomes a SpecError naming the file, the
// position of the offending key or value, and its dotted key.
class Reader {
public:
  Reader(std::string_view file, std::vector<SpecError>& errors) : file_(file), errors_(errors) {}

  void add(const toml::source_region& where, std::string key, SpecErrc code, std::string message) {
    errors_.push_back(SpecError{file_, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                                std::move(key), std::move(message), code});
  }

  void check_known_keys(const toml::table& table, std::string_view prefix, std::initializer_list<std::string_view> known) {
    for (auto&& [key, value] : table) {
      const std::string_view name = key.str();
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      std::string_view closest;
      std::size_t best = 3;  // suggest only names within two edits
      for (auto candidate : known) {
        const auto d = edit_distance(name, candidate);
        if (d < best) best = d, closest = candidate;
      }
      std::string message = "unknown key";
      if (!closest.empty()) {
        message += " (did you mean " + in_quotes(closest) + "?)";
      } else {
        message += "; known keys";
        message += prefix.empty() ? "" : std::string(" in [") + std::string(prefix) + "]";
        message += " are ";
        bool first = true;
        for (auto k : known) message += (first ? "" : ", ") + std::string(k), first = false;
      }
      add(key.source(), dotted(prefix, name), SpecErrc::unknown_key, std::move(message));
    }
  }

  // Each read_* returns the value's node when the key is present and of the right type
  // (out is then set), nullptr when it is absent or wrong (an error is then recorded).
  const toml::node* typed(const toml::table& t, std::string_view prefix, std::string_view key, toml::node_type want,
                          std::string_view want_text) {
    const toml::node* node = t.get(key);
    if (!node) return nullptr;
    if (node->type() != want) {
      add(node->source(), dotted(prefix, key), SpecErrc::wrong_type,
          "expected " + std::string(want_text) + ", got " + std::string(type_name(node->type())));
      return nullptr;
    }
    return node;
  }

  const toml::table* read_table(const toml::table& t, std::string_view prefix, std::string_view key) {
    const toml::node* node = typed(t, prefix, key, toml::node_type::table, "a table");
    return node ? node->as_table() : nullptr;
  }

  const toml::node* read_string(const toml::table& t, std::string_view prefix, std::string_view key, std::string& out) {
    const toml::node* node = typed(t, prefix, key, toml::node_type::string, "a string");
    if (node) out = node->as_string()->get();
    return node;
  }

  const toml::node* read_bool(const toml::table& t, std::string_view prefix, std::string_view key, bool& out) {
    const toml::node* node = typed(t, prefix, key, toml::node_type::boolean, "a boolean (true or false)");
    if (node) out = node->as_boolean()->get();
    return node;
  }

  const toml::node* read_int(const toml::table& t, std::string_view prefix, std::string_view key, std::int64_t& out,
                             std::int64_t lo, std::int64_t hi) {
    const toml::node* node = typed(t, prefix, key, toml::node_type::integer, "an integer");
    if (!node) return nullptr;
    const std::int64_t v = node->as_integer()->get();
    if (v < lo || v > hi) {
      add(node->source(), dotted(prefix, key), SpecErrc::out_of_range,
          std::to_string(v) + " is out of range: must be " +
              (hi == std::numeric_limits<std::int64_t>::max() ? "at least " + std::to_string(lo)
                                                              : range_text(static_cast<double>(lo), static_cast<double>(hi))));
      return nullptr;
    }
    out = v;
    return node;
  }

  // A float; an integer is accepted too (cpus = 2).
  const toml::node* read_number(const toml::table& t, std::string_view prefix, std::string_view key, double& out,
                                double lo, double hi, bool lo_exclusive) {
    const toml::node* node = t.get(key);
    if (!node) return nullptr;
    double v = 0;
    if (auto* i = node->as_integer()) v = static_cast<double>(i->get());
    else if (auto* f = node->as_floating_point()) v = f->get();
    else {
      add(node->source(), dotted(prefix, key), SpecErrc::wrong_type,
          "expected a number, got " + std::string(type_name(node->type())));
      return nullptr;
    }
    const bool low_ok = lo_exclusive ? v > lo : v >= lo;
    if (!(low_ok && v <= hi)) {  // also rejects nan
      std::string bound = lo_exclusive ? "greater than " + std::to_string(static_cast<std::int64_t>(lo)) + " and at most " +
                                             std::to_string(static_cast<std::int64_t>(hi))
                                       : range_text(lo, hi);
      add(node->source(), dotted(prefix, key), SpecErrc::out_of_range, "out of range: must be " + bound);
      return nullptr;
    }
    out = v;
    return node;
  }

  const toml::node* read_duration(const toml::table& t, std::string_view prefix, std::string_view key,
                                  milliseconds& out, bool allow_zero) {
    const toml::node* node = typed(t, prefix, key, toml::node_type::string, "a duration string such as \"30s\"");
    if (!node) return nullptr;
    auto parsed = svl::parse_duration(node->as_string()->get());
    if (auto* e = std::get_if<svl::ParseError>(&parsed)) {
      add(node->source(), dotted(prefix, key), SpecErrc::bad_value, e->message);
      return nullptr;
    }
    const auto d = std::get<milliseconds>(parsed);
    if (!allow_zero && d.count() == 0) {
      add(node->source(), dotted(prefix, key), SpecErrc::out_of_range, "must be longer than 0s");
      return nullptr;
    }
    out = d;
    return node;
  }

  const toml::node* read_duration_or_off(const toml::table& t, std::string_view prefix, std::string_view key,
                                         std::optional<milliseconds>& out) {
    const toml::node* node =
        typed(t, prefix, key, toml::node_type::string, "a duration string such as \"30s\" or \"off\"");
    if (!node) return nullptr;
    auto parsed = svl::parse_duration_or_off(node->as_string()->get());
    if (auto* e = std::get_if<svl::ParseError>(&parsed)) {
      add(node->source(), dotted(prefix, key), SpecErrc::bad_value, e->message);
      return nullptr;
    }
    out = std::get<std::optional<milliseconds>>(parsed);
    return node;
  }

  const toml::node* read_size(const toml::table& t, std::string_view prefix, std::string_view key, std::uint64_t& out,
                              std::uint64_t minimum) {
    const toml::node* node = typed(t, prefix, key, toml::node_type::string, "a size string such as \"256MiB\"");
    if (!node) return nullptr;
    auto parsed = svl::parse_size(node->as_string()->get());
    if (auto* e = std::get_if<svl::ParseError>(&parsed)) {
      add(node->source(), dotted(prefix, key), SpecErrc::bad_value, e->message);
      return nullptr;
    }
    const auto bytes = std::get<std::uint64_t>(parsed);
    if (bytes < minimum) {
      add(node->source(), dotted(prefix, key), SpecErrc::out_of_range,
          in_quotes(node->as_string()->get()) + " is too small: must be at least " + svl::format_size(minimum));
      return nullptr;
    }
    out = bytes;
    return node;
  }

  // A table whose values are all strings ([env], [build.args]).
  void read_string_table(const toml::table& t, std::string_view prefix, std::map<std::string, std::string>& out,
                         bool env_names) {
    for (auto&& [key, value] : t) {
      const std::string name(key.str());
      const std::string path = dotted(prefix, name);
      if (!value.is_string()) {
        add(value.source(), path, SpecErrc::wrong_type,
            "expected a string, got " + std::string(type_name(value.type())) + " (quote it: " + name + " = \"...\")");
        continue;
      }
      const std::string& text = value.as_string()->get();
      if (text.find('\0') != std::string::npos) {
        add(value.source(), path, SpecErrc::bad_value, "must not contain a NUL character");
        continue;
      }
      if (env_names && !is_env_name(name)) {
        add(key.source(), path, SpecErrc::bad_value,
            in_quotes(name) + " is not a valid variable name: use letters, digits and '_', not starting with a digit");
        continue;
      }
      if (env_names && name == "PORT") {
        add(key.source(), path, SpecErrc::conflict, "svl sets PORT from the top-level port key; set port instead");
        continue;
      }
      out[name] = text;
    }
  }

private:
  std::string file_;
  std::vector<SpecError>& errors_;
};

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
                      "idle_timeout", "remove_after", "queue", "cold_start_cost"});
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

void read_run(Reader& r, const toml::table& t, RunSpec& run) {
  r.check_known_keys(t, "run", {"init"});
  r.read_bool(t, "run", "init", run.init);
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
                     {"name", "port", "image", "build", "env", "resources", "scale", "health", "http", "run", "dev"});

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

  if (auto* env = r.read_table(root, "", "env")) r.read_string_table(*env, "env", spec.env, true);
  if (auto* t = r.read_table(root, "", "resources")) read_resources(r, *t, spec.resources);
  if (auto* t = r.read_table(root, "", "scale")) read_scale(r, *t, spec.scale);
  if (auto* t = r.read_table(root, "", "health")) read_health(r, *t, spec.health);
  if (auto* t = r.read_table(root, "", "http")) read_http(r, *t, spec.http);
  if (auto* t = r.read_table(root, "", "run")) read_run(r, *t, spec.run);
  if (auto* t = r.read_table(root, "", "dev")) read_dev(r, *t, spec.dev);

  if (errors.size() != errors_before) return std::nullopt;
  return spec;
}

}  // namespace svl::orchestrator::detail
