#include "orchestrator/spec/spec_schedule_reader.hpp"

#include <array>
#include <algorithm>
#include <cctype>

#include "orchestrator/spec/toml_reader.hpp"
#include "schedule/cron.hpp"
#include "schedule/zoned.hpp"

namespace svl::orchestrator::detail {
namespace {

constexpr std::array kMethods{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
// Headers svl sets itself on a cron call, or that describe the message rather than the call.
constexpr std::array kReservedHeaders{"host", "content-length", "transfer-encoding", "connection", "x-svl-cron"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string index_key(std::string_view array, std::size_t i) { return std::string(array) + "[" + std::to_string(i) + "]"; }

// The entries of an array of tables, each with its dotted key; anything else is reported.
std::vector<std::pair<const toml::table*, std::string>> entries(Reader& r, const toml::table& t, std::string_view prefix,
                                                                std::string_view key, std::string_view example) {
  std::vector<std::pair<const toml::table*, std::string>> out;
  const toml::node* node = t.get(key);
  if (!node) return out;
  const std::string path = dotted(prefix, key);
  const toml::array* array = node->as_array();
  if (!array) {
    r.add(node->source(), path, SpecErrc::wrong_type,
          "expected an array of tables ([[" + path + "]]), got " + std::string(type_name(node->type())) + "; " +
              std::string(example));
    return out;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& entry = *array->get(i);
    if (const toml::table* table = entry.as_table()) out.emplace_back(table, index_key(path, i));
    else
      r.add(entry.source(), index_key(path, i), SpecErrc::wrong_type,
            "expected a table, got " + std::string(type_name(entry.type())) + "; " + std::string(example));
  }
  return out;
}

// A cron expression: its errors name the field at fault.
void check_cron(Reader& r, const toml::node& node, const std::string& key, const std::string& text) {
  auto parsed = schedule::CronExpr::parse(text);
  if (parsed) return;
  const auto code =
      parsed.error().code == schedule::ScheduleErrc::out_of_range ? SpecErrc::out_of_range : SpecErrc::bad_value;
  r.add(node.source(), key, code, in_quotes(text) + ": " + parsed.error().message);
}

void read_timezone(Reader& r, const toml::table& t, const std::string& prefix, std::string& out) {
  const toml::node* node = r.read_string(t, prefix, "timezone", out);
  if (!node) return;
  if (auto zone = schedule::TimeZone::locate(out); !zone)
    r.add(node->source(), dotted(prefix, "timezone"), SpecErrc::bad_value, zone.error().message);
}

bool is_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != std::string_view::npos;
  });
}

void read_headers(Reader& r, const toml::table& headers, const std::string& prefix, std::map<std::string, std::string>& out) {
  r.read_string_table(headers, prefix, out, false);
  for (auto&& [key, value] : headers) {
    const std::string name(key.str());
    const auto it = out.find(name);
    if (it == out.end()) continue;  // already reported
    const std::string path = dotted(prefix, name);
    if (!is_token(name)) {
      r.add(key.source(), path, SpecErrc::bad_value, in_quotes(name) + " is not a header name");
      out.erase(it);
    } else if (std::find(kReservedHeaders.begin(), kReservedHeaders.end(), lower(name)) != kReservedHeaders.end()) {
      r.add(key.source(), path, SpecErrc::conflict, "svl sets " + name + " itself");
      out.erase(it);
    } else if (it->second.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      r.add(value.source(), path, SpecErrc::bad_value, "must not contain a line break or a NUL character");
      out.erase(it);
    }
  }
}

}  // namespace

void read_schedule_windows(Reader& r, const toml::table& scale, ScaleSpec& spec) {
  constexpr std::string_view example =
      "e.g. [[scale.schedule]] start = \"0 8 * * 1-5\", end = \"0 18 * * 1-5\", min = 2";
  for (const auto& [t, prefix] : entries(r, scale, "scale", "schedule", example)) {
    r.check_known_keys(*t, prefix, {"start", "end", "timezone", "min", "max"});
    ScheduleWindowSpec w;
    const toml::node* start = r.read_string(*t, prefix, "start", w.start);
    const toml::node* end = r.read_string(*t, prefix, "end", w.end);
    if (start) check_cron(r, *start, dotted(prefix, "start"), w.start);
    if (end) check_cron(r, *end, dotted(prefix, "end"), w.end);
    if (!t->contains("start"))
      r.add(t->source(), dotted(prefix, "start"), SpecErrc::missing_key,
            std::string(t->contains("end") ? "end without start: " : "required: ") +
                "the cron schedule that opens the window, e.g. start = \"0 8 * * 1-5\"");
    if (!t->contains("end"))
      r.add(t->source(), dotted(prefix, "end"), SpecErrc::missing_key,
            std::string(t->contains("start") ? "start without end: " : "required: ") +
                "the cron schedule that closes the window, e.g. end = \"0 18 * * 1-5\"");
    if (start && end && w.start == w.end)
      r.add(end->source(), dotted(prefix, "end"), SpecErrc::conflict,
            "the same schedule as start: the window would never close");
    read_timezone(r, *t, prefix, w.timezone);
    const toml::node* min = r.read_int(*t, prefix, "min", w.min, 0, kMaxReplicas);
    if (!t->contains("min"))
      r.add(t->source(), dotted(prefix, "min"), SpecErrc::missing_key,
            "required: the replicas kept ready while the window is open, e.g. min = 2");
    std::int64_t max = 0;
    const toml::node* max_node = r.read_int(*t, prefix, "max", max, 1, kMaxReplicas);
    if (max_node) w.max = max;
    if (min && max_node && w.min > max)
      r.add(max_node->source(), dotted(prefix, "max"), SpecErrc::out_of_range,
            "min (" + std::to_string(w.min) + ") is larger than max (" + std::to_string(max) + ")");
    else if (min && !t->contains("max") && w.min > spec.max)
      r.add(min->source(), dotted(prefix, "min"), SpecErrc::out_of_range,
            std::to_string(w.min) + " is larger than scale.max (" + std::to_string(spec.max) +
                "): raise scale.max, or set max in this window");
    spec.schedule.push_back(std::move(w));
  }
}

void read_crons(Reader& r, const toml::table& root, FunctionSpec& spec) {
  constexpr std::string_view example = "e.g. [[cron]] schedule = \"*/14 * * * *\", path = \"/tasks/cleanup\"";
  for (const auto& [t, prefix] : entries(r, root, "", "cron", example)) {
    r.check_known_keys(*t, prefix,
                       {"name", "schedule", "timezone", "path", "method", "body", "headers", "timeout", "concurrency",
                        "private", "catch_up"});
    CronSpec c;
    const toml::node* name = r.read_string(*t, prefix, "name", c.name);
    if (name && (c.name.empty() || c.name.size() > 100 || has_space_or_control(c.name)))
      r.add(name->source(), dotted(prefix, "name"), SpecErrc::bad_value,
            in_quotes(c.name) + " is not a trigger name: 1 to 100 characters, no spaces");
    if (const toml::node* n = r.read_string(*t, prefix, "schedule", c.schedule))
      check_cron(r, *n, dotted(prefix, "schedule"), c.schedule);
    else if (!t->contains("schedule"))
      r.add(t->source(), dotted(prefix, "schedule"), SpecErrc::missing_key,
            "required: when to call, as cron, e.g. schedule = \"*/14 * * * *\"");
    read_timezone(r, *t, prefix, c.timezone);
    if (const toml::node* n = r.read_string(*t, prefix, "path", c.path)) {
      if (c.path.empty() || c.path[0] != '/' || has_space_or_control(c.path))
        r.add(n->source(), dotted(prefix, "path"), SpecErrc::bad_value,
              in_quotes(c.path) + " is not a request path: it must start with '/' and contain no spaces");
    } else if (!t->contains("path")) {
      r.add(t->source(), dotted(prefix, "path"), SpecErrc::missing_key,
            "required: the path svl calls, e.g. path = \"/tasks/cleanup\"");
    }
    std::string method;
    if (const toml::node* n = r.read_string(*t, prefix, "method", method)) {
      std::string upper(method);
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (std::find(kMethods.begin(), kMethods.end(), upper) != kMethods.end()) c.method = upper;
      else
        r.add(n->source(), dotted(prefix, "method"), SpecErrc::bad_value,
              in_quotes(method) + " is not a method: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
    }
    std::string body;
    if (r.read_string(*t, prefix, "body", body)) c.body = std::move(body);
    if (const toml::table* headers = r.read_table(*t, prefix, "headers"))
      read_headers(r, *headers, dotted(prefix, "headers"), c.headers);
    milliseconds timeout{0};
    if (r.read_duration(*t, prefix, "timeout", timeout, false)) c.timeout = timeout;
    std::string concurrency;
    if (const toml::node* n = r.read_string(*t, prefix, "concurrency", concurrency)) {
      if (auto p = schedule::concurrency_from_string(concurrency)) c.concurrency = *p;
      else
        r.add(n->source(), dotted(prefix, "concurrency"), SpecErrc::bad_value,
              in_quotes(concurrency) + " is not a concurrency policy: use \"forbid\", \"allow\" or \"replace\"");
    }
    r.read_bool(*t, prefix, "private", c.private_path);
    r.read_bool(*t, prefix, "catch_up", c.catch_up);
    const auto same = std::find_if(spec.cron.begin(), spec.cron.end(),
                                   [&](const CronSpec& o) { return !c.path.empty() && o.trigger() == c.trigger(); });
    if (same != spec.cron.end())
      r.add((name ? name : t)->source(), dotted(prefix, name ? "name" : "path"), SpecErrc::conflict,
            "another [[cron]] entry is already called " + in_quotes(c.trigger()) +
                ": give one of them a name, e.g. name = \"cleanup-hourly\"");
    spec.cron.push_back(std::move(c));
  }
}

}  // namespace svl::orchestrator::detail
