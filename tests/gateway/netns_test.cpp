// The namespace data path at the socket level, without Docker: an upstream listens inside a
// network namespace of its own (made here with unshare on a short-lived thread), and the gateway
// reaches it with sockets made inside that namespace. Needs CAP_SYS_ADMIN (CI runs as root).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

#include "gateway/gateway.hpp"
#include "gateway/netns.hpp"
#include "gateway_test_support.hpp"
#include "test_client.hpp"
#include "upstream_server.hpp"

using namespace svl::gateway;
using namespace svl::gateway::test;
using namespace std::chrono_literals;

namespace {

bool can_enter_namespaces() {
  static const bool ok = [] {
    const auto why = netns_unavailable();
    if (!why.empty()) std::cerr << "netns tests skipped: " << why << "\n";
    return why.empty();
  }();
  return ok;
}

// A fresh network namespace with its loopback up, and an upstream listening in it. The namespace
// lives while `fd` is open (its path for the gateway: /proc/self/fd/<fd>).
struct NamespacedUpstream {
  int fd = -1;
  std::unique_ptr<UpstreamServer> server;

  explicit NamespacedUpstream(const std::string& id) {
    std::thread([&] {  // unshare moves only this thread, which ends here
      REQUIRE(::unshare(CLONE_NEWNET) == 0);
      const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ifreq lo{};
      std::strcpy(lo.ifr_name, "lo");
      REQUIRE(::ioctl(s, SIOCGIFFLAGS, &lo) == 0);
      lo.ifr_flags = static_cast<short>(lo.ifr_flags | IFF_UP);
      REQUIRE(::ioctl(s, SIOCSIFFLAGS, &lo) == 0);
      ::close(s);
      server = std::make_unique<UpstreamServer>(id);  // its listener is made here, in the namespace
      fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    }).join();
    REQUIRE(fd >= 0);
  }
  ~NamespacedUpstream() {
    server.reset();
    ::close(fd);
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
  std::uint64_t inode() const {
    struct stat st{};
    ::fstat(fd, &st);
    return st.st_ino;
  }
  ReplicaEndpoint endpoint() const { return {server->id(), "127.0.0.1", server->port(), path(), inode()}; }
};

struct Fixture {
  RecordingListener listener;
  Observer observer;
  std::unique_ptr<Gateway> gw;
  Fixture() {
    Options o;
    o.port = 0;
    gw = std::make_unique<Gateway>(o, listener, observer);
    gw->start();
  }
};

}  // namespace

TEST_CASE("a replica in its own network namespace is reached there, and not from the host") {
  if (!can_enter_namespaces()) return;
  NamespacedUpstream up("ns-1");
  Fixture f;
  f.gw->upsert_function({.name = "inside"});
  f.gw->add_replica("inside", up.endpoint());

  TestClient c(f.gw->port());
  for (int i = 0; i < 20; ++i) REQUIRE(c.get("/fn/inside/x").result_int() == 200);
  CHECK(up.server->requests.load() == 20);

  // The same port on the host's loopback is not the upstream: nothing of it listens here.
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(up.server->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int connected = ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int error = errno;
  ::close(s);
  CHECK(connected != 0);
  CHECK(error == ECONNREFUSED);
}

TEST_CASE("the readiness probe takes the namespace path too") {
  if (!can_enter_namespaces()) return;
  NamespacedUpstream up("ns-probe");
  Fixture f;
  std::promise<std::pair<bool, std::string>> result;
  f.gw->probe_ready(up.endpoint(), "/", 20ms, std::chrono::steady_clock::now() + 5s,
                    [&](bool ready, std::string detail) { result.set_value({ready, detail}); });
  auto [ready, detail] = result.get_future().get();
  CHECK_MESSAGE(ready, detail);
  CHECK(up.server->requests.load() >= 1);
}

TEST_CASE("a namespace that no longer is the sandbox's fails fast: the replica is reported unreachable") {
  if (!can_enter_namespaces()) return;
  NamespacedUpstream up("ns-gone");
  Fixture f;
  f.gw->upsert_function({.name = "gone", .start_timeout = 300ms});
  auto ep = up.endpoint();
  ep.netns_inode += 1;  // what a recycled pid would look like
  f.gw->add_replica("gone", ep);

  // The gateway's own namespace is refused as a target too (a dead sandbox's pid taken by a host
  // process), whatever its inode.
  std::string why;
  CHECK_FALSE(Netns::open("/proc/self/ns/net", 0, why));
  CHECK(why.find("gateway's own") != std::string::npos);

  const auto started = std::chrono::steady_clock::now();
  TestClient c(f.gw->port());
  const auto res = c.get("/fn/gone/x");
  CHECK(res.result_int() == 504);  // held again after the failed connect, until start_timeout
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  CHECK(f.listener.unreachable_count() >= 1);
  CHECK(up.server->requests.load() == 0);

  std::promise<std::pair<bool, std::string>> probed;
  f.gw->probe_ready(ep, "/", 20ms, std::chrono::steady_clock::now() + 5s,
                    [&](bool ready, std::string detail) { probed.set_value({ready, detail}); });
  auto future = probed.get_future();
  REQUIRE(future.wait_for(1s) == std::future_status::ready);  // at once, not at the deadline
  auto [ready, detail] = future.get();
  CHECK_FALSE(ready);
  CHECK(detail.find("no longer") != std::string::npos);
}
