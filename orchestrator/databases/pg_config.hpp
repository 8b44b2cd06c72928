#pragma once
// The managed Postgres's and PgBouncer's configuration, as text, from what the functions ask
// for ([database] use, pool_size, mode). Pure: the supervisor writes these files (the auth file
// 0600) and reloads PgBouncer; nothing here touches disk or processes.
#include <string>
#include <vector>

#include "common/result.hpp"

namespace svl::databases {

enum class PoolMode { transaction, session };
Result<PoolMode, std::string> parse_pool_mode(const std::string& text);
const char* to_string(PoolMode mode);

// One function's pool: the pooler user reaches only the alias of this pool, and the server
// role is the function's own (never the database owner).
struct Pool {
  std::string function;
  std::string database;
  int size = 10;
  PoolMode mode = PoolMode::transaction;
  std::string password;  // the function's pooler and server role password
};

struct ServerLimits {
  int max_connections = 100;
  int reserve = 5;  // kept for direct use (svl db psql, migrations, backups)
};

// The pool alias and role a function uses: "fn_" + the function's name, '-' made '_'.
std::string pool_name(const std::string& function);

// Every pool's size at least 1, and their sum within max_connections minus the reserve; the
// error names the pool or the figures that do not fit.
Result<std::monostate, std::string> check_pools(const std::vector<Pool>& pools, ServerLimits limits);

// The lines the daemon appends to the cluster's postgresql.conf: a unix socket only.
std::string postgresql_conf(const std::string& socket_dir, ServerLimits limits);

struct PoolerPaths {
  std::string listen_socket_dir;   // where PgBouncer's .s.PGSQL.6432 goes (mounted into replicas)
  std::string server_socket_dir;   // Postgres's socket directory
  std::string auth_file, hba_file, pid_file, log_file;
  std::string run_as_user = "postgres";
};

// pgbouncer.ini: one alias per pool, forced to its own role and database, max_client_conn
// 10000, idle_transaction_timeout so a replica paused inside a transaction lets go.
std::string pgbouncer_ini(const std::vector<Pool>& pools, const PoolerPaths& paths, int idle_transaction_timeout_s = 30);

// The auth file ("user" "password" lines, '"' doubled) for auth_type=hba.
std::string pgbouncer_auth_file(const std::vector<Pool>& pools);

// The hba file: each pool's user may reach only its own alias, over the unix socket.
std::string pgbouncer_hba(const std::vector<Pool>& pools);

}  // namespace svl::databases
