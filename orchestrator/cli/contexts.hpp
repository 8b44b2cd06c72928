#pragma once
// CLI contexts (docs/remote.md): named daemons the CLI can talk to, kept in
// ~/.config/svl/contexts.toml (mode 0600: it holds tokens). "local" is always there: the daemon
// on this machine, through its unix socket.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace svl::cli {

struct Context {
  std::string url;          // https://HOST:PORT of the daemon's --admin-listen
  std::string fingerprint;  // the pinned certificate, "SHA256:..."
  std::string token;
};

struct ContextFile {
  std::string current;  // "" : local
  std::map<std::string, Context> contexts;
};

constexpr const char* kLocalContext = "local";

// $XDG_CONFIG_HOME/svl/contexts.toml, else ~/.config/svl/contexts.toml.
std::filesystem::path contexts_path();
// An absent file is an empty one. Throws std::runtime_error naming the file, line and key.
ContextFile load_contexts(const std::filesystem::path& file);
// Written to a temporary file (0600) renamed into place; the folder is made 0700.
void save_contexts(const std::filesystem::path& file, const ContextFile& contexts);

// Context names: 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
bool is_valid_context_name(const std::string& name);
// "https://host:port" with a host and a port, or a message saying what is wrong.
std::optional<std::string> url_problem(const std::string& url);

// Which daemon a command talks to: --admin SOCKET, else --context NAME, else $SVL_CONTEXT, else
// the file's current context, else the local socket ($SVL_ADMIN or the default). $SVL_TOKEN, when
// set, replaces a remote context's token (for CI).
struct AdminTarget {
  std::string socket_path;  // set for the local daemon
  std::string context;      // the context's name ("" for the local daemon)
  Context remote;           // set for a remote one
  bool is_remote() const { return socket_path.empty(); }
  std::string where() const { return is_remote() ? remote.url + " (context " + context + ")" : socket_path; }
};
// Throws std::runtime_error for an unknown context, naming the known ones.
AdminTarget resolve_admin_target(const std::string& admin_flag, const std::string& context_flag,
                                 const std::filesystem::path& file = contexts_path());

}  // namespace svl::cli
