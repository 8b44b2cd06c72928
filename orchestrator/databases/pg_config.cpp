#include "orchestrator/databases/pg_config.hpp"

#include <map>
#include <sstream>

namespace svl::databases {

Result<PoolMode, std::string> parse_pool_mode(const std::string& text) {
  if (text == "transaction") return PoolMode::transaction;
  if (text == "session") return PoolMode::session;
  return std::string("[database] mode \"" + text + "\": expected \"transaction\" or \"session\"");
}

const char* to_string(PoolMode mode) { return mode == PoolMode::session ? "session" : "transaction"; }

std::string pool_name(const std::string& function) {
  std::string name = "fn_" + function;
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

Result<std::monostate, std::string> check_pools(const std::vector<Pool>& pools, ServerLimits limits) {
  const int allowed = limits.max_connections - limits.reserve;
  int total = 0;
  std::map<std::string, std::string> names;  // pool name -> function, for clashes
  for (const auto& p : pools) {
    if (p.size < 1) {
      return std::string("function " + p.function + ": [database] pool_size " + std::to_string(p.size) +
                         " must be at least 1");
    }
    if (p.size > allowed) {
      return std::string("function " + p.function + ": [database] pool_size " + std::to_string(p.size) +
                         " is more than the server allows (max_connections " + std::to_string(limits.max_connections) +
                         " minus a reserve of " + std::to_string(limits.reserve) + " = " + std::to_string(allowed) + ")");
    }
    auto [it, fresh] = names.emplace(pool_name(p.function), p.function);
    if (!fresh) {
      return std::string("functions " + it->second + " and " + p.function + " map to the same pool name " + it->first);
    }
    total += p.size;
  }
  if (total > allowed) {
    return std::string("the pools ask for " + std::to_string(total) + " server connections, more than the " +
                       std::to_string(allowed) + " the server allows (max_connections " +
                       std::to_string(limits.max_connections) + " minus a reserve of " + std::to_string(limits.reserve) + ")");
  }
  return std::monostate{};
}

std::string postgresql_conf(const std::string& socket_dir, ServerLimits limits) {
  std::ostringstream out;
  out << "# written by svl\n"
      << "listen_addresses = ''\n"
      << "unix_socket_directories = '" << socket_dir << "'\n"
      << "unix_socket_permissions = 0777\n"  // the directory's mount decides who reaches it
      << "max_connections = " << limits.max_connections << "\n"
      << "superuser_reserved_connections = " << (limits.reserve < 3 ? limits.reserve : 3) << "\n";
  return out.str();
}

std::string pgbouncer_ini(const std::vector<Pool>& pools, const PoolerPaths& paths, int idle_transaction_timeout_s) {
  std::ostringstream out;
  out << "; written by svl\n[databases]\n";
  for (const auto& p : pools) {
    out << pool_name(p.function) << " = host=" << paths.server_socket_dir << " dbname=" << p.database
        << " user=" << pool_name(p.function) << " pool_size=" << p.size << " pool_mode=" << to_string(p.mode) << "\n";
  }
  out << "\n[pgbouncer]\n"
      << "listen_addr =\n"
      << "unix_socket_dir = " << paths.listen_socket_dir << "\n"
      << "unix_socket_mode = 0777\n"
      << "auth_type = hba\n"
      << "auth_file = " << paths.auth_file << "\n"
      << "auth_hba_file = " << paths.hba_file << "\n"
      << "pidfile = " << paths.pid_file << "\n"
      << "logfile = " << paths.log_file << "\n"
      << "user = " << paths.run_as_user << "\n"
      << "max_client_conn = 10000\n"
      << "idle_transaction_timeout = " << idle_transaction_timeout_s << "\n"
      << "server_reset_query = DISCARD ALL\n";
  return out.str();
}

namespace {
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string pgbouncer_auth_file(const std::vector<Pool>& pools) {
  std::string out;
  for (const auto& p : pools) out += quoted(pool_name(p.function)) + " " + quoted(p.password) + "\n";
  return out;
}

std::string pgbouncer_hba(const std::vector<Pool>& pools) {
  std::string out = "# written by svl: each function's user reaches only its own pool\n";
  for (const auto& p : pools) out += "local " + pool_name(p.function) + " " + pool_name(p.function) + " scram-sha-256\n";
  return out;
}

}  // namespace svl::databases
