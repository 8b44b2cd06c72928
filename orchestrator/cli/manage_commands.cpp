// Commands that only talk to the daemon: ls, status, down, rollback, scale, cron, usage, logs.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/cli/admin_options.hpp"
#include "orchestrator/cli/command.hpp"

namespace svl::cli {

using nlohmann::json;

std::string url_encode(const std::string& s) {
  std::ostringstream out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out << c;
    else out << '%' << std::uppercase << std::hex << std::setw(2) << std::setfill('0') << int(c);
  }
  return out.str();
}

int admin_call(const AdminOptions& opts, const std::string& method, const std::string& path, const json& body,
               const std::function<void(const json&)>& print_human) {
  AdminClient client(opts.target());
  auto reply = client.request(method, path, body.is_null() ? std::string() : body.dump());
  if (reply.status < 200 || reply.status >= 300) {
    std::cerr << "svl: " << error_message(reply) << "\n";
    return 1;
  }
  auto parsed = json::parse(reply.body, nullptr, false);
  if (parsed.is_discarded()) {
    std::cerr << "svl: the daemon sent a reply that is not JSON: " << reply.body.substr(0, 200) << "\n";
    return 1;
  }
  if (opts.json) std::cout << parsed.dump(2) << "\n";
  else print_human(parsed);
  return 0;
}

namespace {

std::string str(const json& j, const char* key, const std::string& fallback = "-") {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (j[key].is_string()) return j[key].get<std::string>();
  return j[key].dump();
}

std::string replicas_summary(const json& f) {
  if (!f.contains("replicas")) return "-";
  std::string out;
  for (const char* tier : {"starting", "ready", "draining", "paused", "stopped"}) {
    int n = f["replicas"].value(tier, 0);
    if (n == 0) continue;
    if (!out.empty()) out += " ";
    out += std::to_string(n) + " " + tier;
  }
  return out.empty() ? "none" : out;
}

std::string cold_start_summary(const json& f) {
  if (!f.contains("last_cold_start") || f["last_cold_start"].is_null()) return "-";
  const auto& c = f["last_cold_start"];
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f ms from %s", c.value("seconds", 0.0) * 1000, c.value("tier", "?").c_str());
  return buf;
}

void print_function_table(const json& reply) {
  std::printf("%-24s %-5s %-15s %-28s %s\n", "NAME", "REV", "STATE", "REPLICAS", "LAST COLD START");
  for (const auto& f : reply["functions"]) {
    std::printf("%-24s %-5s %-15s %-28s %s\n", str(f, "name").c_str(), str(f, "revision").c_str(),
                str(f, "state").c_str(), replicas_summary(f).c_str(), cold_start_summary(f).c_str());
  }
  if (reply["functions"].empty()) std::printf("(no functions; deploy one with `svl up`)\n");
}

// An epoch-seconds time as local date and time plus how long ago: "2026-12-01 21:04 (3 h ago)".
std::string local_time_ago(const json& value, std::time_t now = std::time(nullptr)) {
  if (!value.is_number()) return value.is_string() ? value.get<std::string>() : "-";
  const auto at = static_cast<std::time_t>(value.get<double>());
  std::tm tm{};
  char date[32];
  if (::localtime_r(&at, &tm) == nullptr || std::strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm) == 0) return value.dump();
  const long ago = static_cast<long>(now - at);
  std::string rel;
  if (ago < 0) rel = "in the future";
  else if (ago < 60) rel = "just now";
  else if (ago < 3600) rel = std::to_string(ago / 60) + " min ago";
  else if (ago < 2 * 86400) rel = std::to_string(ago / 3600) + " h ago";
  else rel = std::to_string(ago / 86400) + " days ago";
  return std::string(date) + " (" + rel + ")";
}

// [[scale.schedule]]: the window in force, or the next to open, and when that changes.
void print_schedule(const json& s) {
  if (!s.is_object()) return;
  const auto local = [](const json& t) { return t.is_object() ? t.value("local", std::string()) : std::string("never"); };
  const auto& in = s["in_force"];
  std::string line = in.is_object() ? "window " + str(in, "window") + " in force since " + local(in["since"]) + ", min " +
                                          str(in, "min")
                                    : std::string("no window in force");
  line += "; next change " + local(s["next_change"]);
  std::cout << "schedule:        " << line << "\n";
  if (const auto& ahead = s["ahead"]; ahead.is_object())
    std::cout << "                 window " << str(ahead, "window") << " (min " << str(ahead, "min") << ") opens "
              << local(ahead["starts"]) << ", replicas ready from " << local(ahead["ready_from"])
              << (ahead.value("started", false) ? " (starting now)" : "") << "\n";
  if (s.value("overridden", false)) std::cout << "                 svl scale's min and max win over the schedule\n";
}

void print_status(const json& f) {
  std::cout << "name:            " << str(f, "name") << "\n"
            << "revision:        " << str(f, "revision") << "\n"
            << "image:           " << str(f, "image") << "\n"
            << "state:           " << str(f, "state") << "\n"
            << "replicas:        " << replicas_summary(f) << "\n"
            << "desired:         " << str(f, "desired") << (f.value("panic", false) ? " (panic mode)" : "") << "\n"
            << "scale:           min " << str(f, "min") << ", max " << str(f, "max") << ", policy " << str(f, "policy") << "\n"
            << "in flight:       " << str(f, "inflight") << ", queued " << str(f, "queued") << "\n"
            << "last cold start: " << cold_start_summary(f) << "\n";
  if (f.contains("keep_alive_plan") && f["keep_alive_plan"].is_string())
    std::cout << "idle plan:       " << f["keep_alive_plan"].get<std::string>() << "\n";
  if (f.contains("not_ready_reason") && !f["not_ready_reason"].is_null())
    std::cout << "not ready:       " << str(f, "not_ready_reason") << "\n";
  else if (f.contains("last_failure") && f["last_failure"].is_object())
    std::cout << "last failure:    " << str(f["last_failure"], "message") << " ("
              << static_cast<long>(f["last_failure"].value("seconds_ago", 0.0)) << " s ago, served since)\n";
  print_schedule(f.contains("schedule") ? f["schedule"] : json());
  if (f.contains("custom_domains") && !f["custom_domains"].empty()) {
    std::string domains;
    for (const auto& d : f["custom_domains"]) domains += (domains.empty() ? "" : ", ") + d.get<std::string>();
    std::cout << "custom domains:  " << domains << "\n";
  }
  if (f.contains("urls"))
    for (const auto& u : f["urls"]) std::cout << "url:             " << u.get<std::string>() << "\n";
  if (f.contains("secrets"))  // names and versions, never values
    for (const auto& sec : f["secrets"]) {
      std::cout << "secret:          " << str(sec, "key") << " <- " << str(sec, "secret") << " (" << str(sec, "as")
                << ", version " << str(sec, "version") << ")";
      if (sec.value("stale", false))
        std::cout << ": replicas run an older version than the current " << str(sec, "current_version")
                  << "; `svl up` or `svl secret set " << str(sec, "secret") << " --roll` makes a new revision";
      std::cout << "\n";
    }
  if (f.contains("revisions")) {
    std::cout << "revisions:\n";
    for (const auto& r : f["revisions"])
      std::cout << "  " << (r.value("current", false) ? "* " : "  ") << str(r, "revision") << "  " << str(r, "image").substr(0, 19)
                << "  " << local_time_ago(r.contains("created_at") ? r["created_at"] : json()) << "\n";
  }
}

// With [pricing] in the daemon config, a COST column: requests and GB-seconds at those prices.
void print_usage(const json& r) {
  const bool priced = r.contains("pricing") && r["pricing"].is_object();
  std::printf("%-24s %10s %18s %14s", "FUNCTION", "REQUESTS", "CONTAINER-SECONDS", "GB-SECONDS");
  if (priced) std::printf(" %16s", ("COST (" + r["pricing"].value("currency", "?") + ")").c_str());
  std::printf("\n");
  double total = 0;
  for (const auto& u : r["usage"]) {
    std::printf("%-24s %10lld %18.1f %14.3f", u.value("function", "?").c_str(),
                static_cast<long long>(u.value("requests", 0LL)), u.value("container_seconds", 0.0),
                u.value("gb_seconds", 0.0));
    if (priced && u.contains("cost")) {
      const double cost = u["cost"].value("total", 0.0);
      total += cost;
      std::printf(" %16.6f", cost);
    }
    std::printf("\n");
  }
  if (priced && r["usage"].size() > 1) std::printf("%-24s %10s %18s %14s %16.6f\n", "total", "", "", "", total);
}

// svl cron: each trigger and its next fire time, then the latest runs, newest first.
void print_cron(const json& c) {
  const auto local = [](const json& t) { return t.is_object() ? t.value("local", std::string()) : std::string("-"); };
  if (c["triggers"].empty()) std::cout << str(c, "function") << " has no [[cron]] triggers\n";
  for (const auto& t : c["triggers"])
    std::cout << str(t, "trigger") << ": \"" << str(t, "schedule") << "\" " << str(t, "timezone") << ", "
              << str(t, "method") << " " << str(t, "path") << (t.value("private", true) ? " (private)" : "")
              << ", next " << local(t["next"])
              << (t.value("in_flight", 0) > 0 ? ", " + str(t, "in_flight") + " in flight" : "") << "\n";
  if (c["runs"].empty()) return;
  std::cout << "\n" << std::left << std::setw(26) << "SCHEDULED" << std::setw(18) << "TRIGGER" << std::setw(11)
            << "RESULT" << std::setw(7) << "HTTP" << std::setw(10) << "LATE" << std::setw(10) << "TOOK" << "DETAIL\n";
  const auto secs = [](const json& v) {
    if (!v.is_number()) return std::string("-");
    std::ostringstream o;
    o << std::fixed << std::setprecision(3) << v.get<double>() << "s";
    return o.str();
  };
  for (const auto& r : c["runs"]) {
    std::string result = str(r, "result");
    if (r.value("count", 1) > 1) result += " x" + str(r, "count");
    if (r.value("catch_up", false) && r["run"].is_number()) result += " (catch-up)";
    std::cout << std::left << std::setw(26) << local(r["scheduled"]) << std::setw(18) << str(r, "trigger")
              << std::setw(11) << result << std::setw(7) << str(r, "status") << std::setw(10)
              << secs(r["lateness_seconds"]) << std::setw(10) << secs(r["duration_seconds"]) << str(r, "detail", "")
              << "\n";
  }
}

}  // namespace

void add_manage_commands(CLI::App& app, Run& run) {
  auto opts = std::make_shared<AdminOptions>();
  auto name = std::make_shared<std::string>();

  auto* ls = app.add_subcommand("ls", "List functions: state, replicas per tier, revision, last cold start");
  add_admin_flags(ls, *opts);
  ls->callback([&run, opts] {
    run = [opts] { return admin_call(*opts, "GET", "/v1/functions", nullptr, print_function_table); };
  });

  auto* status = app.add_subcommand("status", "Show one function in detail");
  add_admin_flags(status, *opts);
  status->add_option("name", *name, "Function name")->required();
  status->callback([&run, opts, name] {
    run = [opts, name] { return admin_call(*opts, "GET", "/v1/functions/" + url_encode(*name), nullptr, print_status); };
  });

  auto* down = app.add_subcommand("down", "Remove a function: its replicas, sandboxes and registry entry");
  add_admin_flags(down, *opts);
  down->add_option("name", *name, "Function name")->required();
  down->callback([&run, opts, name] {
    run = [opts, name] {
      return admin_call(*opts, "DELETE", "/v1/functions/" + url_encode(*name), nullptr,
                  [&](const json&) { std::cout << "removed " << *name << "\n"; });
    };
  });

  auto revision = std::make_shared<int>(0);
  auto* rollback = app.add_subcommand("rollback", "Go back to the previous (or a given) revision");
  add_admin_flags(rollback, *opts);
  rollback->add_option("name", *name, "Function name")->required();
  rollback->add_option("revision", *revision, "Revision to restore (default: the one before the current)");
  rollback->callback([&run, opts, name, revision] {
    run = [opts, name, revision] {
      json body = json::object();
      if (*revision > 0) body["revision"] = *revision;
      return admin_call(*opts, "POST", "/v1/functions/" + url_encode(*name) + "/rollback", body,
                  [&](const json& r) { std::cout << *name << " is now at revision " << str(r, "revision") << "\n"; });
    };
  });

  auto min = std::make_shared<int>(-1), max = std::make_shared<int>(-1);
  auto* scale = app.add_subcommand("scale", "Set a function's minimum and maximum replicas");
  add_admin_flags(scale, *opts);
  scale->add_option("name", *name, "Function name")->required();
  scale->add_option("--min", *min, "Minimum replicas (0 allows scale to zero)")->check(CLI::Range(0, 1000));
  scale->add_option("--max", *max, "Maximum replicas")->check(CLI::Range(1, 1000));
  scale->callback([&run, opts, name, min, max] {
    run = [opts, name, min, max] {
      if (*min < 0 && *max < 0) {
        std::cerr << "svl scale: give --min, --max or both\n";
        return 2;
      }
      json body = json::object();
      if (*min >= 0) body["min"] = *min;
      if (*max >= 0) body["max"] = *max;
      return admin_call(*opts, "POST", "/v1/functions/" + url_encode(*name) + "/scale", body, [&](const json& r) {
        std::cout << *name << ": min " << str(r, "min") << ", max " << str(r, "max") << "\n";
        if (r.contains("note")) std::cout << "note: " << r["note"].get<std::string>() << "\n";
      });
    };
  });

  auto limit = std::make_shared<int>(20);
  auto* cron = app.add_subcommand("cron", "A function's cron triggers: next fire times and latest runs");
  add_admin_flags(cron, *opts);
  cron->add_option("name", *name, "Function name")->required();
  cron->add_option("--limit", *limit, "Runs shown per trigger (default 20)")->check(CLI::Range(1, 200));
  cron->callback([&run, opts, name, limit] {
    run = [opts, name, limit] {
      return admin_call(*opts, "GET", "/v1/functions/" + url_encode(*name) + "/cron?limit=" + std::to_string(*limit), nullptr,
                  print_cron);
    };
  });

  auto since = std::make_shared<std::string>();
  auto* usage = app.add_subcommand("usage", "Requests, container-seconds and GB-seconds per function");
  add_admin_flags(usage, *opts);
  usage->add_option("name", *name, "Only this function");
  usage->add_option("--since", *since, "Only usage newer than this (e.g. 1h, 7d, 30d; hourly counters, up to a year)");
  usage->callback([&run, opts, name, since] {
    run = [opts, name, since] {
      std::string path = "/v1/usage?";
      if (!name->empty()) path += "function=" + url_encode(*name) + "&";
      if (!since->empty()) path += "since=" + url_encode(*since);
      return admin_call(*opts, "GET", path, nullptr, print_usage);
    };
  });

  auto follow = std::make_shared<bool>(false);
  auto tail = std::make_shared<int>(100);
  auto* logs = app.add_subcommand("logs", "Show a function's logs (all replicas)");
  add_admin_flags(logs, *opts, false);
  logs->add_option("name", *name, "Function name")->required();
  logs->add_flag("-f,--follow", *follow, "Keep streaming new lines");
  logs->add_option("--since", *since, "Only lines newer than this (e.g. 10m)");
  logs->add_option("--tail", *tail, "Lines from the end of each replica's log (default 100)");
  logs->callback([&run, opts, name, follow, since, tail] {
    run = [opts, name, follow, since, tail] {
      AdminClient client(opts->target());
      std::string path = "/v1/functions/" + url_encode(*name) + "/logs?tail=" + std::to_string(*tail);
      if (*follow) path += "&follow=1";
      if (!since->empty()) path += "&since=" + url_encode(*since);
      std::string error_body;
      long status = client.stream(path, [&](std::string_view chunk) {
        if (error_body.size() < 4096) error_body.append(chunk);
        std::cout << chunk << std::flush;
      });
      if (status < 200 || status >= 300) {
        std::cout.flush();
        std::cerr << "\nsvl: " << error_message(AdminReply{status, error_body}) << "\n";
        return 1;
      }
      return 0;
    };
  });
}

}  // namespace svl::cli
