// Pool sizing against max_connections minus the reserve, and the config and auth text the
// supervisor writes for Postgres and PgBouncer.
#include <doctest/doctest.h>

#include "orchestrator/databases/pg_config.hpp"

using namespace svl::databases;

namespace {
PoolerPaths paths() {
  return {"/run/svl/db", "/var/lib/svl/postgres/socket", "/var/lib/svl/postgres/pgbouncer.auth",
          "/var/lib/svl/postgres/pgbouncer.hba", "/var/lib/svl/postgres/pgbouncer.pid",
          "/var/lib/svl/postgres/pgbouncer.log"};
}
Pool pool(std::string fn, int size, PoolMode mode = PoolMode::transaction, std::string password = "") {
  return {std::move(fn), "shop", size, mode, std::move(password)};
}
}  // namespace

TEST_CASE("pool modes parse, and anything else is refused by name") {
  CHECK(parse_pool_mode("transaction").value() == PoolMode::transaction);
  CHECK(parse_pool_mode("session").value() == PoolMode::session);
  auto bad = parse_pool_mode("statement");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("\"statement\"") != std::string::npos);
}

TEST_CASE("pool names: fn_ plus the function, dashes made underscores") {
  CHECK(pool_name("hello-world") == "fn_hello_world");
}

TEST_CASE("pools fit within max_connections minus the reserve") {
  const ServerLimits limits{20, 5};
  CHECK(check_pools({pool("a", 10), pool("b", 5)}, limits).ok());
  auto over = check_pools({pool("a", 10), pool("b", 6)}, limits);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().find("16") != std::string::npos);
  CHECK(over.error().find("15") != std::string::npos);
  auto one_too_big = check_pools({pool("big", 16)}, limits);
  REQUIRE_FALSE(one_too_big.ok());
  CHECK(one_too_big.error().find("function big") != std::string::npos);
  auto zero = check_pools({pool("z", 0)}, limits);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().find("at least 1") != std::string::npos);
}

TEST_CASE("two functions whose names map to one pool are a clash") {
  auto clash = check_pools({pool("a-b", 1), pool("a_b", 1)}, {20, 5});
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().find("fn_a_b") != std::string::npos);
}

TEST_CASE("postgresql.conf: a unix socket only, the given max_connections") {
  auto conf = postgresql_conf("/s", {20, 5});
  CHECK(conf.find("listen_addresses = ''") != std::string::npos);
  CHECK(conf.find("unix_socket_directories = '/s'") != std::string::npos);
  CHECK(conf.find("max_connections = 20") != std::string::npos);
}

TEST_CASE("pgbouncer.ini: one alias per pool, forced role, mode and size, clients cheap") {
  auto ini = pgbouncer_ini({pool("api", 10, PoolMode::transaction), pool("jobs", 3, PoolMode::session)}, paths(), 30);
  CHECK(ini.find("fn_api = host=/var/lib/svl/postgres/socket dbname=shop user=fn_api pool_size=10 pool_mode=transaction") !=
        std::string::npos);
  CHECK(ini.find("fn_jobs = host=/var/lib/svl/postgres/socket dbname=shop user=fn_jobs pool_size=3 pool_mode=session") !=
        std::string::npos);
  CHECK(ini.find("listen_addr =\n") != std::string::npos);
  CHECK(ini.find("unix_socket_dir = /run/svl/db") != std::string::npos);
  CHECK(ini.find("max_client_conn = 10000") != std::string::npos);
  CHECK(ini.find("idle_transaction_timeout = 30") != std::string::npos);
  CHECK(ini.find("user = postgres") != std::string::npos);
  CHECK(ini.find("auth_type = hba") != std::string::npos);
}

TEST_CASE("auth file quotes passwords, and hba lets each user reach only its own pool") {
  std::vector<Pool> pools{pool("api", 10, PoolMode::transaction, "p\"w"), pool("jobs", 3, PoolMode::session, "x")};
  CHECK(pgbouncer_auth_file(pools) == "\"fn_api\" \"p\"\"w\"\n\"fn_jobs\" \"x\"\n");
  auto hba = pgbouncer_hba(pools);
  CHECK(hba.find("local fn_api fn_api scram-sha-256\n") != std::string::npos);
  CHECK(hba.find("local fn_jobs fn_jobs scram-sha-256\n") != std::string::npos);
  CHECK(hba.find("local all") == std::string::npos);
}
