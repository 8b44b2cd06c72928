// Grafana cannot run here: check the dashboard and the deploy/ files against what
// svl really exports and against each other.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "orchestrator/metrics/metrics.hpp"
#include "tests/metrics/command.hpp"
#include "tests/metrics/exposition.hpp"
#include "tests/metrics/sample_data.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path deploy_dir = SVL_DEPLOY_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json dashboard() { return json::parse(read_text(deploy_dir / "grafana/dashboards/svl.json")); }

// Panels with queries, rows' nested panels (collapsed rows) included.
void collect_panels(const json& list, std::vector<json>& out) {
  for (const auto& panel : list) {
    if (panel.value("type", "") == "row") {
      if (panel.contains("panels")) collect_panels(panel["panels"], out);
      continue;
    }
    out.push_back(panel);
  }
}

std::vector<json> query_panels() {
  std::vector<json> panels;
  collect_panels(dashboard().at("panels"), panels);
  return panels;
}

std::vector<std::string> all_exprs() {
  std::vector<std::string> exprs;
  for (const auto& panel : query_panels()) {
    for (const auto& target : panel.value("targets", json::array())) {
      exprs.push_back(target.value("expr", ""));
    }
  }
  return exprs;
}

// Series names and which of them carry a function label, from a live Metrics
// that went through every method.
struct Exported {
  std::set<std::string> names;
  std::set<std::string> with_function_label;
};

Exported exported() {
  svl::orchestrator::Metrics m("test");
  svl::orchestrator::CronMetrics cron(*m.registry());
  svl::test::record_sample_data(m, 0);
  svl::test::record_cron_sample_data(cron, 0);
  Exported e;
  for (const auto& sample : svl::test::parse_exposition(m.serialize())) {
    e.names.insert(sample.name);
    if (sample.labels.count("function")) e.with_function_label.insert(sample.name);
  }
  return e;
}

std::set<std::string> metric_names_in(const std::string& expr) {
  static const std::regex name(R"(\bsvl_[a-z0-9_]+)");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), name); it != std::sregex_iterator();
       ++it) {
    names.insert(it->str());
  }
  return names;
}

// YAML through Debian's yq (YAML -> JSON); nullopt-like empty json when yq is absent.
json yaml_file(const fs::path& path) {
  const std::string yq = svl::test::find_tool("yq");
  if (yq.empty()) return {};
  auto result = svl::test::run_command(yq + " . '" + path.string() + "'");
  INFO("yq output: " << result.output);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.output);
}

}  // namespace

TEST_CASE("dashboard: current schema, stable uid, time settings") {
  const json d = dashboard();
  CHECK(d.at("schemaVersion").get<int>() >= 38);  // Grafana 10.0
  CHECK(d.at("schemaVersion").get<int>() <= 41);  // Grafana 11.x
  CHECK(d.at("uid").get<std::string>() == "svl-overview");
  CHECK_FALSE(d.at("title").get<std::string>().empty());
  CHECK(d.contains("time"));
  std::set<int> ids;
  for (const auto& panel : d.at("panels")) {
    CHECK(ids.insert(panel.at("id").get<int>()).second);  // ids unique
    const auto& pos = panel.at("gridPos");
    CHECK(pos.at("x").get<int>() + pos.at("w").get<int>() <= 24);
  }
}

TEST_CASE("dashboard: every panel has a datasource and at least one query") {
  const auto panels = query_panels();
  REQUIRE(panels.size() >= 15);
  for (const auto& panel : panels) {
    CAPTURE(panel.value("title", ""));
    REQUIRE(panel.contains("datasource"));
    CHECK(panel["datasource"].value("type", "") == "prometheus");
    CHECK(panel["datasource"].value("uid", "") == "${datasource}");
    REQUIRE(panel.contains("targets"));
    REQUIRE_FALSE(panel["targets"].empty());
    for (const auto& target : panel["targets"]) {
      CHECK_FALSE(target.value("expr", "").empty());
      CHECK_FALSE(target.value("refId", "").empty());
      CHECK(target.value("datasource", json::object()).value("uid", "") == "${datasource}");
    }
  }
}

TEST_CASE("dashboard: has the panels the issue asks for") {
  std::set<std::string> titles;
  for (const auto& panel : query_panels()) titles.insert(panel.value("title", ""));
  for (const char* wanted :
       {"Request rate", "Error rate (5xx share)", "Latency p50 / p95 / p99",
        "In-flight and queued requests", "Replicas by state", "Cold starts by tier",
        "Cold start duration by tier", "Scale events", "Memory GB-seconds in range",
        "Container-seconds in range", "Desired replicas and panic mode", "Docker API calls"}) {
    CAPTURE(wanted);
    CHECK(titles.count(wanted) == 1);
  }
}

TEST_CASE("dashboard: the function and datasource variables exist and resolve") {
  const json d = dashboard();
  const json* function = nullptr;
  const json* datasource = nullptr;
  for (const auto& variable : d.at("templating").at("list")) {
    if (variable.value("name", "") == "function") function = &variable;
    if (variable.value("name", "") == "datasource") datasource = &variable;
  }
  REQUIRE(datasource != nullptr);
  CHECK(datasource->value("type", "") == "datasource");
  CHECK(datasource->value("query", "") == "prometheus");

  REQUIRE(function != nullptr);
  CHECK(function->value("type", "") == "query");
  CHECK(function->value("multi", false));
  CHECK(function->value("includeAll", false));
  CHECK(function->value("allValue", "") == ".*");
  CHECK(function->at("datasource").value("uid", "") == "${datasource}");
  const std::string query = function->at("query").value("query", "");
  CHECK(function->value("definition", "") == query);
  std::smatch m;
  REQUIRE(std::regex_match(query, m, std::regex(R"(label_values\((svl_[a-z0-9_]+), *function\))")));
  // The variable's metric is exported and carries the function label.
  CHECK(exported().with_function_label.count(m[1].str()) == 1);
}

TEST_CASE("dashboard: every metric a query uses is one svl exports") {
  const Exported e = exported();
  REQUIRE(e.names.size() >= 18);  // 18 families, histograms as 3 names each
  std::set<std::string> used;
  for (const auto& expr : all_exprs()) {
    for (const auto& name : metric_names_in(expr)) {
      CAPTURE(expr);
      CHECK_MESSAGE(e.names.count(name) == 1, name << " is not exported by Metrics");
      used.insert(name);
    }
  }
  // And the dashboard shows every family svl exports.
  for (const char* family :
       {"svl_requests_total", "svl_request_duration_seconds_bucket", "svl_request_held_seconds_bucket",
        "svl_requests_rejected_total", "svl_inflight_requests", "svl_queued_requests", "svl_replicas",
        "svl_autoscaler_desired_replicas", "svl_autoscaler_panic_mode", "svl_cold_starts_total",
        "svl_cold_start_duration_seconds_bucket", "svl_scale_events_total",
        "svl_docker_api_calls_total", "svl_docker_api_call_duration_seconds_bucket",
        "svl_docker_events_reconnects_total", "svl_usage_container_seconds_total",
        "svl_usage_memory_byte_seconds_total", "svl_build_info", "svl_cron_runs_total",
        "svl_cron_lateness_seconds_bucket"}) {
    CAPTURE(family);
    CHECK(used.count(family) == 1);
  }
}

TEST_CASE("dashboard: every function filter is =~\"$function\" and every per-function metric is filtered") {
  const Exported e = exported();
  const std::regex filter(R"re(function\s*(=~|!~|!=|=)\s*"([^"]*)")re");
  const std::regex selector(R"((svl_[a-z0-9_]+)\s*(\{[^}]*\})?)");
  for (const auto& expr : all_exprs()) {
    CAPTURE(expr);
    for (auto it = std::sregex_iterator(expr.begin(), expr.end(), filter);
         it != std::sregex_iterator(); ++it) {
      CHECK((*it)[1].str() == "=~");
      CHECK((*it)[2].str() == "$function");
    }
    for (auto it = std::sregex_iterator(expr.begin(), expr.end(), selector);
         it != std::sregex_iterator(); ++it) {
      if (e.with_function_label.count((*it)[1].str()) == 0) continue;
      CAPTURE((*it)[1].str());
      CHECK((*it)[2].str().find(R"(function=~"$function")") != std::string::npos);
    }
  }
}

TEST_CASE("provisioning: the dashboard folder and datasource the files name exist") {
  const json provider = yaml_file(deploy_dir / "grafana/provisioning/dashboards/svl.yaml");
  const json datasources = yaml_file(deploy_dir / "grafana/provisioning/datasources/svl.yaml");
  const json compose = yaml_file(deploy_dir / "compose/docker-compose.yml");
  if (provider.is_null()) {
    MESSAGE("yq not installed (Debian package 'yq'): provisioning YAML not checked");
    return;
  }
  REQUIRE(provider.at("apiVersion") == 1);
  const auto& p = provider.at("providers").at(0);
  CHECK(p.at("type") == "file");
  const std::string dashboards_path = p.at("options").at("path");

  REQUIRE(datasources.at("apiVersion") == 1);
  const auto& ds = datasources.at("datasources").at(0);
  CHECK(ds.at("type") == "prometheus");
  CHECK_FALSE(ds.at("uid").get<std::string>().empty());
  CHECK(ds.at("isDefault") == true);
  const std::string ds_url = ds.at("url");

  // Compose mounts the repository's folders where the provisioning files look.
  const auto& services = compose.at("services");
  REQUIRE(services.contains("prometheus"));
  REQUIRE(services.contains("grafana"));
  bool dashboards_mounted = false;
  bool provisioning_mounted = false;
  for (const auto& [name, service] : services.items()) {
    CAPTURE(name);
    CHECK_FALSE(service.at("image").get<std::string>().empty());
    for (const auto& volume : service.value("volumes", json::array())) {
      const std::string spec = volume;
      const auto colon = spec.find(':');
      REQUIRE(colon != std::string::npos);
      const std::string source = spec.substr(0, colon);
      std::string target = spec.substr(colon + 1);
      target = target.substr(0, target.find(':'));
      if (source.starts_with(".")) {
        CAPTURE(source);
        CHECK(fs::exists(deploy_dir / "compose" / source));  // relative to the compose file
      }
      if (target == dashboards_path) {
        dashboards_mounted = true;
        CHECK(fs::is_regular_file(deploy_dir / "compose" / source / "svl.json"));
      }
      if (target == "/etc/grafana/provisioning") {
        provisioning_mounted = true;
        CHECK(fs::equivalent(deploy_dir / "compose" / source, deploy_dir / "grafana/provisioning"));
      }
    }
  }
  CHECK(dashboards_mounted);
  CHECK(provisioning_mounted);

  // The datasource URL is where compose's Prometheus listens.
  bool prometheus_listens_there = false;
  for (const auto& arg : services["prometheus"].value("command", json::array())) {
    const std::string a = arg;
    if (a.starts_with("--web.listen-address=") &&
        ds_url == "http://" + a.substr(std::string("--web.listen-address=").size())) {
      prometheus_listens_there = true;
    }
  }
  CHECK(prometheus_listens_there);
}

TEST_CASE("prometheus.yml is valid and scrapes the address the systemd unit serves metrics on") {
  const fs::path config = deploy_dir / "prometheus/prometheus.yml";
  const std::string text = read_text(config);
  CHECK(text.find("scrape_interval: 5s") != std::string::npos);
  CHECK(text.find("\"127.0.0.1:9180\"") != std::string::npos);
  const std::string unit = read_text(deploy_dir / "systemd/svl.service");
  CHECK(unit.find("--metrics-listen 127.0.0.1:9180") != std::string::npos);

  const std::string promtool = svl::test::find_tool("promtool");
  if (promtool.empty()) {
    MESSAGE("promtool not installed (Debian package 'prometheus'): config not checked");
    return;
  }
  auto result = svl::test::run_command(promtool + " check config '" + config.string() + "'");
  INFO(result.output);
  CHECK(result.exit_code == 0);
}

TEST_CASE("systemd unit: runs `svl daemon` after docker and passes systemd-analyze verify") {
  const std::string unit = read_text(deploy_dir / "systemd/svl.service");
  for (const char* line : {"Type=simple", "Restart=on-failure", "After=docker.service",
                           "ExecStart=/usr/local/bin/svl daemon", "--state-dir /var/lib/svl"}) {
    CAPTURE(line);
    CHECK(unit.find(line) != std::string::npos);
  }
  const std::string analyze = svl::test::find_tool("systemd-analyze");
  if (analyze.empty()) {
    MESSAGE("systemd-analyze not installed: unit syntax not checked");
    return;
  }
  // verify wants the binary to exist: check a copy that runs /bin/true instead.
  std::string copy = unit;
  const std::string binary = "/usr/local/bin/svl";
  copy.replace(copy.find(binary), binary.size(), "/bin/true");
  const fs::path path = fs::temp_directory_path() / ("svl-verify-" + std::to_string(::getpid()) + ".service");
  std::ofstream(path) << copy;
  auto result = svl::test::run_command(analyze + " verify '" + path.string() + "'");
  fs::remove(path);
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.empty());  // verify reports bad keys as warnings with exit code 0
}
