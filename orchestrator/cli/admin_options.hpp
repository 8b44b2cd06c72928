#pragma once
// Options every daemon-facing command shares: where the admin socket is, and --json.
#include <CLI/CLI.hpp>
#include <string>

namespace svl::cli {

struct AdminOptions {
  std::string admin;
  bool json = false;
};

inline void add_admin_flags(CLI::App* cmd, AdminOptions& opts, bool with_json = true) {
  cmd->add_option("--admin", opts.admin, "Admin socket of the daemon (default: $SVL_ADMIN, then <state-dir>/svl.sock)");
  if (with_json) cmd->add_flag("--json", opts.json, "Print the daemon's JSON (stable for scripts)");
}

}  // namespace svl::cli
