// svl daemon's settings: the TOML config file and the checks of flag values.
#include <unistd.h>
#include <algorithm>

#include <toml++/toml.h>

#include "common/units.hpp"
#include "orchestrator/daemon/daemon.hpp"

namespace svl::orchestrator {

namespace fs = std::filesystem;

namespace {

// [pricing]: per_million_requests, per_gb_second (non-negative numbers), currency (a label).
void load_pricing(const toml::table& table, const std::string& file, Pricing& pricing) {
  for (auto&& [key, node] : table) {
    const std::string k(key.str());
    const auto where = file + ":" + std::to_string(node.source().begin.line) + ": pricing." + k + ": ";
    if (k == "per_million_requests" || k == "per_gb_second") {
      const auto value = node.value<double>();  // integers too
      if (!value || !(*value >= 0) || *value > 1e12) throw std::invalid_argument(where + "expected a price (a number >= 0)");
      (k == "per_gb_second" ? pricing.per_gb_second : pricing.per_million_requests) = *value;
    } else if (k == "currency") {
      const auto value = node.value<std::string>();
      if (!value || value->empty() || value->size() > 16) throw std::invalid_argument(where + "expected a short string, e.g. \"USD\"");
      pricing.currency = *value;
    } else {
      throw std::invalid_argument(where + "unknown key (known: per_million_requests, per_gb_second, currency)");
    }
  }
}


}  // namespace

void load_daemon_config(const fs::path& file, DaemonOptions& options, const std::vector<std::string>& keys_set_by_flags) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(file.string() + ":" + std::to_string(e.source().begin.line) + ":" +
                                std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
  auto set_by_flag = [&](const std::string& key) {
    return std::find(keys_set_by_flags.begin(), keys_set_by_flags.end(), key) != keys_set_by_flags.end();
  };
  for (auto&& [key, node] : table) {
    std::string k(key.str());
    auto where = file.string() + ":" + std::to_string(node.source().begin.line) + ": " + k + ": ";
    auto str = [&]() -> std::string {
      if (!node.is_string()) throw std::invalid_argument(where + "expected a string");
      return *node.value<std::string>();
    };
    if (k == "listen" || k == "admin" || k == "metrics_listen" || k == "state_dir" || k == "docker_host" ||
        k == "memory_budget" || k == "idle_slot_ttl" || k == "data_path" || k == "tls_listen" || k == "certs_dir" ||
        k == "acme_webroot" || k == "network" || k == "admin_listen" || k == "admin_cert" || k == "admin_key" ||
        k == "max_build_context" || k == "tls_handshake_timeout") {
      auto value = str();
      try {
        if (k == "memory_budget") (void)resolve_memory_budget(value);
        if (k == "idle_slot_ttl" || k == "tls_handshake_timeout") (void)resolve_duration(value);
        if (k == "data_path") (void)resolve_data_path(value);
        if (k == "max_build_context") (void)resolve_size(value);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(where + e.what());
      }
      if (set_by_flag(k)) continue;
      if (k == "memory_budget") options.memory_budget = value;
      else if (k == "idle_slot_ttl") options.idle_slot_ttl = value;
      else if (k == "data_path") options.data_path = value;
      else if (k == "listen") options.listen = value;
      else if (k == "admin") options.admin = value;
      else if (k == "metrics_listen") options.metrics_listen = value;
      else if (k == "state_dir") options.state_dir = value;
      else if (k == "tls_listen") options.tls_listen = value;
      else if (k == "certs_dir") options.certs_dir = value;
      else if (k == "acme_webroot") options.acme_webroot = value;
      else if (k == "admin_listen") options.admin_listen = value;
      else if (k == "admin_cert") options.admin_cert = value;
      else if (k == "admin_key") options.admin_key = value;
      else if (k == "network") options.network = value;
      else if (k == "max_build_context") options.max_build_context = value;
      else if (k == "tls_handshake_timeout") options.tls_handshake_timeout = value;
      else options.docker_host = value;
    } else if (k == "domains") {
      auto* arr = node.as_array();
      if (!arr) throw std::invalid_argument(where + "expected an array of strings");
      std::vector<std::string> domains;
      for (auto& d : *arr) {
        if (!d.is_string()) throw std::invalid_argument(where + "expected an array of strings");
        domains.push_back(*d.value<std::string>());
      }
      if (domains.empty()) throw std::invalid_argument(where + "needs at least one domain");
      if (!set_by_flag(k)) options.domains = domains;
    } else if (k == "pricing") {
      auto* prices = node.as_table();
      if (!prices) throw std::invalid_argument(where + "expected a table ([pricing])");
      load_pricing(*prices, file.string(), options.pricing);
    } else if (k == "redirect_http") {
      if (!node.is_boolean()) throw std::invalid_argument(where + "expected true or false");
      if (!set_by_flag(k)) options.redirect_http = *node.value<bool>();
    } else if (k == "hsts_max_age") {
      if (!node.is_integer() || *node.value<std::int64_t>() < 0 || *node.value<std::int64_t>() > 63072000)
        throw std::invalid_argument(where + "expected seconds from 0 (no HSTS) to 63072000 (two years)");
      if (!set_by_flag(k)) options.hsts_max_age = static_cast<std::uint32_t>(*node.value<std::int64_t>());
    } else if (k == "tls_max_handshakes") {
      if (!node.is_integer() || *node.value<std::int64_t>() < 1 || *node.value<std::int64_t>() > 65535)
        throw std::invalid_argument(where + "expected an integer from 1 to 65535");
      if (!set_by_flag(k)) options.tls_max_handshakes = static_cast<unsigned>(*node.value<std::int64_t>());
    } else if (k == "gateway_threads") {
      if (!node.is_integer() || *node.value<std::int64_t>() < 0 || *node.value<std::int64_t>() > 64)
        throw std::invalid_argument(where + "expected an integer from 0 (one per core) to 64");
      if (!set_by_flag(k)) options.gateway_threads = static_cast<unsigned>(*node.value<std::int64_t>());
    } else {
      throw std::invalid_argument(where + "unknown key (known: listen, admin, metrics_listen, state_dir, docker_host, "
                                          "domains, gateway_threads, memory_budget, idle_slot_ttl, data_path, network, tls_listen, "
                                          "certs_dir, acme_webroot, redirect_http, hsts_max_age, tls_handshake_timeout, "
                                          "tls_max_handshakes, admin_listen, admin_cert, "
                                          "admin_key, max_build_context, [pricing])");
    }
  }
}

std::optional<std::uint64_t> resolve_memory_budget(const std::string& value) {
  if (value == "off") return std::nullopt;
  if (value == "auto") {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return std::nullopt;  // unknown: no limit rather than a wrong one
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 4 * 3;
  }
  auto size = parse_size(value);
  if (auto* e = std::get_if<ParseError>(&size))
    throw std::invalid_argument("expected \"auto\", \"off\" or a size like 16GiB: " + e->message);
  if (std::get<std::uint64_t>(size) == 0) throw std::invalid_argument("must be more than 0 (or \"off\")");
  return std::get<std::uint64_t>(size);
}

std::uint64_t resolve_size(const std::string& value) {
  auto size = parse_size(value);
  if (auto* e = std::get_if<ParseError>(&size)) throw std::invalid_argument("expected a size like 512MiB: " + e->message);
  if (std::get<std::uint64_t>(size) == 0) throw std::invalid_argument("must be more than 0");
  return std::get<std::uint64_t>(size);
}

std::chrono::milliseconds resolve_duration(const std::string& value) {
  auto d = parse_duration(value);
  if (auto* e = std::get_if<ParseError>(&d)) throw std::invalid_argument("expected a duration like 10m: " + e->message);
  return std::get<std::chrono::milliseconds>(d);
}

std::string resolve_data_path(const std::string& value) {
  if (value == "auto" || value == "netns" || value == "published") return value;
  throw std::invalid_argument("expected auto, netns or published, not \"" + value + "\"");
}

}  // namespace svl::orchestrator
