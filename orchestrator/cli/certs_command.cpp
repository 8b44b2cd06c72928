// `svl certs`: the gateway's certificates (<state-dir>/certs by default) with their names and
// expiry, read from the directory itself, so it works with the daemon down too.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "orchestrator/cli/admin_client.hpp"
#include "orchestrator/cli/command.hpp"
#include "tls/cert_store.hpp"

namespace svl::cli {

namespace {

struct CertsOptions {
  std::string dir;
  bool json = false;
};

int list(const CertsOptions& o) {
  const std::filesystem::path dir = o.dir.empty() ? std::filesystem::path(default_state_dir()) / "certs" : std::filesystem::path(o.dir);
  const auto certs = tls::list_certificates(dir);
  const auto now = std::chrono::system_clock::now();
  if (o.json) {
    auto out = nlohmann::json::array();
    for (const auto& c : certs)
      out.push_back({{"file", c.stem}, {"names", c.names}, {"error", c.error},
                     {"not_after", std::chrono::duration_cast<std::chrono::seconds>(c.not_after.time_since_epoch()).count()}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (certs.empty()) {
    std::cout << "no certificates in " << dir.string() << " (NAME.crt + NAME.key; _.example.com for *.example.com; "
              << "default for other names)\n";
    return 0;
  }
  for (const auto& c : certs) {
    if (!c.error.empty()) {
      std::cout << c.stem << ": " << c.error << "\n";
      continue;
    }
    const auto days = std::chrono::duration_cast<std::chrono::hours>(c.not_after - now).count() / 24;
    std::string names;
    for (const auto& n : c.names) names += (names.empty() ? "" : ", ") + n;
    std::cout << c.stem << ": " << names << " (" << (days < 0 ? "expired " + std::to_string(-days) + " days ago"
                                                             : "expires in " + std::to_string(days) + " days")
              << ")\n";
  }
  return 0;
}

}  // namespace

void add_certs_command(CLI::App& app, Run& run) {
  auto o = std::make_shared<CertsOptions>();
  auto* cmd = app.add_subcommand("certs", "List the gateway's TLS certificates with their names and expiry");
  cmd->add_option("--dir", o->dir, "Certificate directory (default <state-dir>/certs)");
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([&run, o] { run = [o] { return list(*o); }; });
}

}  // namespace svl::cli
