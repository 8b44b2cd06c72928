#include "orchestrator/cli/contexts.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <toml++/toml.h>

#include "orchestrator/cli/admin_client.hpp"

namespace svl::cli {

namespace fs = std::filesystem;

fs::path contexts_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return fs::path(xdg) / "svl" / "contexts.toml";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".config" / "svl" / "contexts.toml";
  return fs::path("/tmp") / ("svl-" + std::to_string(::geteuid())) / "contexts.toml";
}

ContextFile load_contexts(const fs::path& file) {
  ContextFile out;
  if (!fs::exists(file)) return out;
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(file.string() + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  auto where = [&](const toml::node& n, const std::string& key) {
    return file.string() + ":" + std::to_string(n.source().begin.line) + ": " + key + ": ";
  };
  for (auto&& [key, node] : table) {
    const std::string k(key.str());
    if (k == "current") {
      if (!node.is_string()) throw std::runtime_error(where(node, k) + "expected a context name");
      out.current = *node.value<std::string>();
    } else if (k == "contexts" && node.is_table()) {
      for (auto&& [name, entry] : *node.as_table()) {
        const std::string n(name.str());
        if (!entry.is_table()) throw std::runtime_error(where(entry, "contexts." + n) + "expected a table");
        Context c;
        for (auto&& [field, value] : *entry.as_table()) {
          const std::string f(field.str());
          if (!value.is_string()) throw std::runtime_error(where(value, "contexts." + n + "." + f) + "expected a string");
          const auto v = *value.value<std::string>();
          if (f == "url") c.url = v;
          else if (f == "fingerprint") c.fingerprint = v;
          else if (f == "token") c.token = v;
          else throw std::runtime_error(where(value, "contexts." + n + "." + f) + "unknown key (known: url, fingerprint, token)");
        }
        out.contexts[n] = std::move(c);
      }
    } else {
      throw std::runtime_error(where(node, k) + "unknown key (known: current, [contexts.NAME])");
    }
  }
  return out;
}

void save_contexts(const fs::path& file, const ContextFile& contexts) {
  fs::create_directories(file.parent_path());
  fs::permissions(file.parent_path(), fs::perms::owner_all);
  toml::table root;
  if (!contexts.current.empty()) root.insert("current", contexts.current);
  toml::table all;
  for (const auto& [name, c] : contexts.contexts)
    all.insert(name, toml::table{{"url", c.url}, {"fingerprint", c.fingerprint}, {"token", c.token}});
  root.insert("contexts", std::move(all));
  std::ostringstream text;
  text << "# svl CLI contexts (svl context add/use/ls/rm). Holds tokens: keep it 0600.\n" << root << "\n";
  const fs::path tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::generic_category().message(errno));
  const std::string s = text.str();
  const bool ok = ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + file.string());
  }
}

bool is_valid_context_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

std::optional<std::string> url_problem(const std::string& url) {
  if (!url.starts_with("https://")) return "expected https://HOST:PORT (the daemon's --admin-listen), got \"" + url + "\"";
  const std::string rest = url.substr(8);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || rest.find('/') != std::string::npos)
    return "expected https://HOST:PORT with no path, got \"" + url + "\"";
  const std::string port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
      std::stoi(port) > 65535)
    return "the port of \"" + url + "\" is not a number from 1 to 65535";
  return std::nullopt;
}

AdminTarget resolve_admin_target(const std::string& admin_flag, const std::string& context_flag, const fs::path& file) {
  AdminTarget target;
  if (!admin_flag.empty()) {
    target.socket_path = admin_flag;
    return target;
  }
  std::string name = context_flag;
  if (name.empty())
    if (const char* env = std::getenv("SVL_CONTEXT"); env && *env) name = env;
  std::optional<ContextFile> loaded;  // read at most once, and only when a context is needed from it
  auto contexts = [&]() -> const ContextFile& { return loaded ? *loaded : loaded.emplace(load_contexts(file)); };
  if (name.empty()) name = contexts().current;
  if (name.empty() || name == kLocalContext) {
    target.socket_path = resolve_admin_socket("");
    return target;
  }
  auto it = contexts().contexts.find(name);
  if (it == contexts().contexts.end()) {
    std::string known = kLocalContext;
    for (const auto& [n, c] : contexts().contexts) known += ", " + n;
    throw std::runtime_error("no context named " + name + " in " + file.string() + " (known: " + known +
                             "); add one with svl context add " + name + " https://HOST:PORT --token-file FILE");
  }
  target.context = name;
  target.remote = it->second;
  if (const char* token = std::getenv("SVL_TOKEN"); token && *token) target.remote.token = token;
  return target;
}

}  // namespace svl::cli
