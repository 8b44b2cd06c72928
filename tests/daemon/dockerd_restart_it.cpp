// dockerd killed (SIGKILL) and restarted under load. The shared dockerd serves everyone's tests on
// this box, so the test starts a private one (its own data root, exec root, socket and bridge,
// no iptables: the 127.0.0.1 ports go through docker-proxy) and kills only that one. Without
// live-restore, the restarted dockerd kills the containers that were running, as a real crash would.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <sstream>

#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;
namespace fs = std::filesystem;

namespace {

class PrivateDockerd {
public:
  PrivateDockerd()
      : root_("/tmp/svl-dd-" + std::to_string(::getpid())),
        bridge_("svldd" + std::to_string(::getpid() % 100000)) {
    fs::remove_all(root_);
    fs::create_directories(root_);
    const std::string subnet = "10.219." + std::to_string(::getpid() % 250 + 1) + ".1/24";
    const std::string cmd = "ip link add " + bridge_ + " type bridge && ip addr add " + subnet + " dev " + bridge_ +
                            " && ip link set " + bridge_ + " up";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot create bridge " + bridge_);
    start();
  }
  ~PrivateDockerd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      if (!wait_gone(20s)) kill9();
    }
    // Its containerd exits with it; make sure (by the pid it recorded).
    std::ifstream cpid(root_ / "exec" / "containerd" / "containerd.pid");
    if (pid_t c = 0; cpid >> c && c > 0 && ::kill(c, 0) == 0) ::kill(c, SIGKILL);
    std::vector<std::string> mounts;  // dockerd makes its data root a mount; shims may leave more
    std::ifstream in("/proc/mounts");
    for (std::string dev, where, rest; in >> dev >> where && std::getline(in, rest);)
      if (where.rfind(root_.string(), 0) == 0) mounts.push_back(where);
    std::sort(mounts.rbegin(), mounts.rend());
    for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
    std::system(("ip link del " + bridge_ + " 2>/dev/null").c_str());
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string host() const { return "unix://" + (root_ / "docker.sock").string(); }
  svl::docker::ClientOptions options() const {
    svl::docker::ClientOptions o;
    o.host = host();
    return o;
  }
  std::string log_tail() const {
    std::ifstream in(root_ / "dockerd.log");
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = ss.str();
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
  }

  void start() {
    fs::remove(root_ / "docker.pid");  // left by a SIGKILL; dockerd refuses to start over it
    const std::vector<std::string> argv{"/usr/sbin/dockerd", "--data-root", (root_ / "data").string(), "--exec-root",
                                        (root_ / "exec").string(), "-H", host(), "--pidfile",
                                        (root_ / "docker.pid").string(), "-b", bridge_, "--iptables=false",
                                        "--ip6tables=false", "--ip-masq=false", "--cgroup-parent", "svl-test-dockerd"};
    const std::string log = (root_ / "dockerd.log").string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setsid();
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    svl::docker::Client client(options());
    if (!wait_for([&] { return client.ping().ok(); }, 60s, 100ms))
      throw std::runtime_error("private dockerd did not answer within 60 s:\n" + log_tail());
  }
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

private:
  bool wait_gone(std::chrono::seconds bound) {
    bool gone = wait_for([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, bound, 50ms);
    if (gone) pid_ = -1;
    return gone;
  }

  fs::path root_;
  std::string bridge_;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("dockerd killed and restarted under load: held requests get 200 or 503, then both functions serve again") {
  if (!fs::exists("/usr/sbin/dockerd") || ::geteuid() != 0) {
    MESSAGE("skipped: needs root and /usr/sbin/dockerd to run a private dockerd");
    return;
  }
  PrivateDockerd dockerd;
  svl::test::ContainerJanitor janitor(dockerd.options());  // before dockerd goes
  svl::docker::Client client(dockerd.options());
  const std::string img = svl::test::ensure_test_server_image(client);
  TempDir tmp;
  DaemonProcess d(tmp.path() / "state", daemon_args({"--docker-host", dockerd.host()}));
  auto toml = [&](const std::string& idle) {
    return "image = \"" + img + "\"\n[scale]\npolicy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"" + idle + "\"\n";
  };
  for (auto [name, idle] : {std::pair{"warm", "10m"}, std::pair{"cold", "1s"}}) {
    auto dir = svl::test::write_function(tmp.path(), name, toml(idle));
    auto up = d.cli({"up", dir.string(), "--quiet", "--docker-host", dockerd.host()});
    REQUIRE_MESSAGE(up.exit_code == 0, (up.err + up.out));
  }
  const int port = d.gateway_port();
  REQUIRE(svl::test::get(port, "/fn/warm/").status == 200);
  REQUIRE(wait_for([&] {
    auto s = status_of(d, "cold");
    return s.is_object() && s["replicas"].value("ready", 1) == 0 && s["replicas"].value("starting", 1) == 0;
  }, 30s));

  // Load on the warm function throughout; its outcomes are reported (the restarted dockerd kills
  // its replica, so requests in flight then may fail).
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<long, int> warm_outcomes;
  std::thread load([&] {
    while (!stop) {
      auto r = svl::test::get(port, "/fn/warm/", {}, 20s);
      std::lock_guard lock(mu);
      ++warm_outcomes[r.status];
    }
  });

  dockerd.kill9();
  const auto killed = std::chrono::steady_clock::now();
  // Requests that need a wake while Docker is gone: held, or answered 503, within their timeout.
  auto held = std::async(std::launch::async, [port] { return svl::test::get_concurrently(port, "/fn/cold/", 10, 15s); });
  std::this_thread::sleep_for(2s);
  dockerd.start();
  const double down_s = seconds_since(killed);
  auto replies = held.get();
  std::map<long, int> held_outcomes;
  double slowest = 0;
  for (const auto& r : replies) {
    ++held_outcomes[r.status];
    slowest = std::max(slowest, r.seconds);
  }

  // Afterwards both serve again (the restart killed every container: new slots are made).
  const auto back = std::chrono::steady_clock::now();
  bool warm_ok = wait_for([&] { return svl::test::get(port, "/fn/warm/", {}, 10s).status == 200; }, 30s, 200ms);
  bool cold_ok = wait_for([&] { return svl::test::get(port, "/fn/cold/", {}, 10s).status == 200; }, 30s, 200ms);
  const double recovered_s = seconds_since(back);
  stop = true;
  load.join();

  std::ostringstream text;
  for (const auto& [st, n] : held_outcomes) text << n << "x" << st << " ";
  text << "| warm load: ";
  for (const auto& [st, n] : warm_outcomes) text << n << "x" << st << " ";
  MESSAGE("dockerd down " << down_s << " s; held requests: " << text.str() << "(slowest " << slowest
                          << " s); serving again " << recovered_s << " s after dockerd was back");
  CHECK(held_outcomes[200] + held_outcomes[503] == 10);  // no 502, no 504, no timeout
  CHECK_MESSAGE(warm_ok, dockerd.log_tail());
  CHECK_MESSAGE(cold_ok, d.log());
}
