// kill -9 of the daemon at random moments (seeded; the seed is printed, SVL_CHAOS_SEED replays
// it) while it serves load, rolls out new revisions and stops an app that ignores SIGTERM.
// After every restart: no container of the instance that the daemon does not report, every
// function still registered and serving, and no 502 or connection error for any request sent
// after the ready line (and answered before the next kill).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "orchestrator/docker/event_watcher.hpp"
#include "tests/daemon/daemon_it_support.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::DaemonProcess;
using svl::test::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kCycles = 20;
constexpr auto kBudget = 170s;  // stop early rather than run past this

struct Outcome {
  int cycle;
  long status;
  Clock::time_point sent, done;
  std::string what;
};

// Requests on `threads` threads until stop(); every outcome kept with its times.
class Load {
public:
  Load(int port, int cycle, int threads) {
    for (int t = 0; t < threads; ++t)
      threads_.emplace_back([this, port, cycle] {
        while (!stop_) {
          const auto sent = Clock::now();
          auto r = svl::test::get(port, "/fn/busy/env/VERSION", {}, 20s);
          std::lock_guard lock(mu_);
          outcomes_.push_back({cycle, r.status, sent, r.done_at, "busy"});
        }
      });
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  std::vector<Outcome> outcomes() {
    stop();
    return outcomes_;
  }

private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Outcome> outcomes_;
  std::vector<std::thread> threads_;
};

std::set<std::string> reported_containers(const DaemonProcess& d, const std::vector<std::string>& functions) {
  std::set<std::string> ids;
  for (const auto& fn : functions) {
    auto s = status_of(d, fn);
    if (!s.is_object()) continue;
    for (const auto& r : s.value("replica_list", nlohmann::json::array()))
      for (const char* key : {"container", "sandbox"})
        if (r.contains(key) && r[key].is_string() && !r[key].get<std::string>().empty()) ids.insert(r[key].get<std::string>());
  }
  return ids;
}

// Instance containers the daemon does not report (ids; short prefixes compared both ways).
std::vector<std::string> strays(const DaemonProcess& d, const std::vector<std::string>& functions) {
  auto listed = instance_containers(d.state_dir());
  auto known = reported_containers(d, functions);
  std::vector<std::string> out;
  int spares = 0;  // the sandbox pool's (netns data path): no function reports them, at most 4
  for (const auto& c : listed) {
    bool found = false;
    for (const auto& k : known) found |= c.id.rfind(k, 0) == 0 || k.rfind(c.id, 0) == 0;
    if (found) continue;
    if (auto role = c.labels.find("svl.role"); role != c.labels.end() && role->second == "pool" && ++spares <= 4) continue;
    auto role = c.labels.find("svl.role"), fn = c.labels.find("svl.function");
    out.push_back(c.id.substr(0, 12) + " (" + (role == c.labels.end() ? "?" : role->second) + " of " +
                  (fn == c.labels.end() ? "?" : fn->second) + ", " + c.state + ")");
  }
  return out;
}

// Containers Docker has sent SIGTERM (a `docker stop`), so a kill can be seen to land mid-stop.
class Sigterms {
public:
  explicit Sigterms(const std::filesystem::path& state_dir)
      : watcher_(options(state_dir), [this](const svl::docker::Event& e) {
          if (e.attribute("signal") != "15") return;
          std::lock_guard lock(mu_);
          ids_.insert(e.id);
        }) {}
  std::set<std::string> take() {
    std::lock_guard lock(mu_);
    return std::exchange(ids_, {});
  }

private:
  static svl::docker::EventWatcherOptions options(const std::filesystem::path& state_dir) {
    svl::docker::EventWatcherOptions o;
    o.filter.labels = {"svl.instance=" + state_dir.string(), "svl.role=replica"};
    o.filter.events = {"kill"};
    return o;
  }
  std::mutex mu_;
  std::set<std::string> ids_;
  svl::docker::EventWatcher watcher_;
};

}  // namespace

TEST_CASE("20 kill -9s during load, deploys and stops: no strays, registry intact, no 502 after the ready line") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  const auto state = tmp.path() / "state";
  const char* seed_env = std::getenv("SVL_CHAOS_SEED");
  const unsigned seed = seed_env && *seed_env ? static_cast<unsigned>(std::strtoul(seed_env, nullptr, 10))
                                              : std::random_device{}();
  MESSAGE("chaos seed " << seed << " (SVL_CHAOS_SEED=" << seed << " replays it)");
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> kill_after_ms(200, 4000);
  const std::vector<std::string> functions{"busy", "stubborn"};

  auto busy_toml = [&](int version) {
    return fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1m\"\n",
                   "[env]\nVERSION = \"" + std::to_string(version) + "\"\n");
  };
  auto busy_dir = svl::test::write_function(tmp.path(), "busy", busy_toml(0));
  auto stubborn_dir = svl::test::write_function(
      tmp.path(), "stubborn",
      fn_toml("policy = \"fixed\"\npause_after = \"off\"\nidle_timeout = \"1s\"\n",
              "[env]\nIGNORE_SIGTERM = \"1\"\n[run]\ninit = false\n"));
  {
    DaemonProcess first(state, daemon_args());
    for (const auto& dir : {busy_dir, stubborn_dir}) {
      auto up = first.cli({"up", dir.string(), "--quiet"});
      REQUIRE_MESSAGE(up.exit_code == 0, (up.err + up.out));
    }
    first.kill9();
  }

  Sigterms sigterms(state);
  int mid_stop = 0;  // kills that landed while a replica ignoring its SIGTERM was still running
  std::vector<Outcome> bad;  // sent after a ready line, answered before the next kill, 0 or 502
  std::vector<std::string> problems;
  int total = 0, cycles = 0;
  const auto t_start = Clock::now();
  for (int cycle = 1; cycle <= kCycles && Clock::now() - t_start < kBudget; ++cycle, ++cycles) {
    const auto t_spawn = Clock::now();
    auto d = std::make_unique<DaemonProcess>(state, daemon_args());
    const auto ready = d->ready_at();
    const int port = d->gateway_port();
    std::ostringstream where;
    where << "cycle " << cycle << ": ";

    // The registry survived: both functions listed.
    auto listed = svl::test::admin_request(d->admin(), "GET", "/v1/functions");
    auto list = nlohmann::json::parse(listed.body, nullptr, false);
    std::set<std::string> names;
    if (list.is_object())
      for (const auto& f : list.value("functions", nlohmann::json::array())) names.insert(f.value("name", ""));
    if (names != std::set<std::string>(functions.begin(), functions.end()))
      problems.push_back(where.str() + "functions listed: " + listed.body);

    // No strays (allowing the daemon 5 s to finish removing them).
    std::vector<std::string> left;
    if (!wait_for([&] { return (left = strays(*d, functions)).empty(); }, 5s, 200ms)) {
      std::string text;
      for (const auto& s : left) text += s + " ";
      problems.push_back(where.str() + "strays after 5 s: " + text);
    }

    // Both serve (stubborn may be in the middle of a stop that the kill cut short).
    std::vector<Outcome> outcomes;
    for (const auto& fn : functions) {
      const auto sent = Clock::now();
      auto r = svl::test::get(port, "/fn/" + fn + "/", {}, 20s);
      outcomes.push_back({cycle, r.status, sent, r.done_at, fn + " after restart"});
      if (r.status != 200) problems.push_back(where.str() + fn + " answered " + std::to_string(r.status) + ": " + r.body);
    }

    // Load, a rollout and a stop in progress, then the kill at a random moment.
    Load load(port, cycle, 2);
    std::ofstream(busy_dir / "svl.toml") << "name = \"busy\"\n" << busy_toml(cycle);
    std::thread deploy([&] { d->cli({"up", busy_dir.string(), "--quiet"}, 20s); });
    const int after = kill_after_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(after));
    const auto killed = Clock::now();
    d->kill9();
    {
      svl::docker::Client client;
      for (const auto& id : sigterms.take())
        if (auto info = client.inspect_container(id); info.ok() && info->state.running) ++mid_stop;
    }
    deploy.join();
    for (auto& o : load.outcomes()) outcomes.push_back(o);
    for (const auto& o : outcomes) {
      if (o.sent < ready || o.done >= killed) continue;
      ++total;
      if (o.status == 0 || o.status == 502) bad.push_back(o);
    }
    MESSAGE(where.str() << "ready " << std::chrono::duration<double>(ready - t_spawn).count() << " s after spawn, killed "
                        << after << " ms into the load; " << outcomes.size() << " requests");
  }
  const double took = seconds_since(t_start);
  MESSAGE(cycles << " cycles in " << took << " s; " << mid_stop << " kills in the middle of a stop; " << total << " requests checked, " << bad.size()
                 << " got 502 or no answer");
  for (std::size_t i = 0; i < bad.size() && i < 10; ++i)
    MESSAGE("cycle " << bad[i].cycle << " " << bad[i].what << ": " << bad[i].status << " after "
                     << std::chrono::duration<double>(bad[i].done - bad[i].sent).count() << " s");
  for (const auto& p : problems) MESSAGE(p);
  CHECK(cycles == kCycles);
  CHECK(mid_stop >= 1);  // the schedule did exercise a kill during a stop
  CHECK(problems.empty());
  CHECK(bad.empty());

  // Last start: it still comes up clean and serves.
  DaemonProcess last(state, daemon_args());
  CHECK(svl::test::get(last.gateway_port(), "/fn/busy/").status == 200);
}
