#pragma once
// Internal to orchestrator/spec: reads typed values out of TOML tables, turning every problem
// into a SpecError that names the file, the position of the offending key or value, and its
// dotted key. spec_reader.cpp reads the tables of svl.toml with it, spec_schedule_reader.cpp
// [[scale.schedule]] and [[cron]].
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "common/units.hpp"
#include "orchestrator/spec/spec_error.hpp"
#include "orchestrator/spec/spec_reader.hpp"

namespace svl::orchestrator::detail {

using std::chrono::milliseconds;

// A key as TOML writes it: bare when it can be, else quoted.
std::string toml_key(std::string_view key);
std::string_view type_name(toml::node_type type);
std::string in_quotes(std::string_view s);
std::size_t edit_distance(std::string_view a, std::string_view b);
bool has_space_or_control(std::string_view s);
bool is_env_name(std::string_view s);
std::string range_text(double lo, double hi);

// Bounds that catch typos (an extra zero or two) without limiting any real use on one box.
inline constexpr std::int64_t kMaxReplicas = 1000;

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
      if (env_names && name == "SVL_GATEWAY_URL") {
        add(key.source(), path, SpecErrc::conflict, "svl sets SVL_GATEWAY_URL to its gateway (docs/isolation.md)");
        continue;
      }
      out[name] = text;
    }
  }

private:
  std::string file_;
  std::vector<SpecError>& errors_;
};

}  // namespace svl::orchestrator::detail
