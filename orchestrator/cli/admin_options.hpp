#pragma once
// Options every daemon-facing command shares: which daemon (socket or context), and --json.
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "orchestrator/cli/contexts.hpp"

namespace svl::cli {

struct AdminOptions {
  std::string admin;
  std::string context;
  bool json = false;
  AdminTarget target() const { return resolve_admin_target(admin, context); }
};

// Percent-encodes a path segment or query value.
std::string url_encode(const std::string& s);
// Runs one admin call (body null: none); prints the daemon's error and returns 1 when it is not
// 2xx; else prints the JSON (--json) or print_human's rendering, and returns 0.
int admin_call(const AdminOptions& opts, const std::string& method, const std::string& path, const nlohmann::json& body,
               const std::function<void(const nlohmann::json&)>& print_human);

inline void add_target_flags(CLI::App* cmd, std::string& admin, std::string& context) {
  cmd->add_option("--admin", admin, "Admin socket of the daemon (default: $SVL_ADMIN, then <state-dir>/svl.sock)");
  cmd->add_option("--context", context, "Talk to this context's daemon (svl context ls; default: $SVL_CONTEXT, then "
                                        "the current one)");
}

inline void add_admin_flags(CLI::App* cmd, AdminOptions& opts, bool with_json = true) {
  add_target_flags(cmd, opts.admin, opts.context);
  if (with_json) cmd->add_flag("--json", opts.json, "Print the daemon's JSON (stable for scripts)");
}

}  // namespace svl::cli
