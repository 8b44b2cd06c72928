// A 1 GiB upload through the real proxy with bounded gateway memory (issue 3). An integration
// test rather than a unit test: it moves a gigabyte over loopback, too slow for the ASan build.
#include <doctest/doctest.h>

#include <fstream>

#include "gateway/gateway.hpp"
#include "test_client.hpp"
#include "upstream_server.hpp"

using namespace svl::gateway;
using namespace svl::gateway::test;
using namespace std::chrono_literals;

namespace {

struct QuietListener : Listener {
  void on_capacity_needed(const std::string&, std::size_t) override {}
  void on_replica_drained(const std::string&, const std::string&) override {}
};

}  // namespace

TEST_CASE("a 1 GiB upload streams through the gateway with bounded memory") {
  UpstreamServer up("u1");
  QuietListener listener;
  Observer observer;
  Options options;
  options.port = 0;
  Gateway gw(options, listener, observer);
  gw.start();
  FunctionRoute route;
  route.name = "big";
  route.max_body = 2ull << 30;
  route.upstream_timeout = 120s;
  gw.upsert_function(route);
  gw.add_replica("big", {up.id(), "127.0.0.1", up.port()});

  TestClient c(gw.port(), 120s);
  const std::uint64_t total = 1ull << 30;
  const auto hwm_before = vm_hwm_kib();
  c.send_raw("POST /fn/big/upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
  const std::string block(1 << 20, 'x');
  for (std::uint64_t sent = 0; sent < total; sent += block.size()) c.send_raw(block);
  auto res = c.read();
  CHECK(res.result_int() == 200);
  CHECK(res.body() == std::to_string(total));
  CHECK(up.uploaded.load() == total);
  // The gateway, the upstream and this client share the process: buffering the body anywhere
  // would raise the peak RSS by a gigabyte.
  const auto grew_kib = vm_hwm_kib() - hwm_before;
  MESSAGE("peak RSS grew by " << grew_kib / 1024 << " MiB for a 1024 MiB upload");
  CHECK(grew_kib < 32 * 1024);
  gw.shutdown();
}
