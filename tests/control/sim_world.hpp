#pragma once
// A deterministic world for the reconcile core: simulated time, a fake container runtime with
// latencies, failures, deaths and OOM, and the gateway's own Dispatcher holding requests. One
// seed gives one schedule; every step is replayable with --seed.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gateway/dispatcher.hpp"
#include "orchestrator/control/reconciler.hpp"

namespace svl::sim {

inline const std::vector<std::string> kFunctions{"a", "b", "c"};
inline constexpr std::chrono::seconds kStartTimeout{2};

struct Container {
  std::string id, name, function, role;
  long revision = 0;
  std::string state = "created";  // created, running, paused, exited
  TimePoint app_ready_at{};       // running since + start delay
  bool ignores_sigterm = false;
  std::map<std::string, std::string> labels;
  std::uint16_t host_port = 0;
  bool claimed = false;  // a sandbox a replica was created in (the runtime's note)
};

struct Request {
  std::string function;
  TimePoint arrived{};
  int answers = 0;
  unsigned status = 0;
  bool crashed = false;  // in flight when the daemon died: a closed connection
  bool dispatched = false;
};

struct Faults {
  double unavailable = 0;  // share of runtime calls that find Docker away
  double failed = 0;       // share that Docker refuses
  double crash_at_start = 0;
};

class World {
public:
  explicit World(std::uint64_t seed);

  // Runs a seeded schedule for `duration`, then lets it settle. Returns "" or what broke.
  std::string run(Duration duration);
  const std::vector<std::string>& trace() const { return trace_; }
  std::size_t requests() const { return requests_.size(); }
  std::size_t claims() const { return claims_; }  // wakes that took a spare sandbox

private:
  using Action = std::function<void()>;
  void at(TimePoint t, Action a);
  void execute(control::Steps steps);
  void runtime_step(const control::Step& s);
  void complete(control::OpKind kind, control::Outcome o, Duration latency);
  void answer(gateway::Token t, unsigned status);
  void probe(control::step::Probe p);
  void core_input(std::function<void(control::Reconciler&, control::Steps&)> input);
  std::vector<control::Observed> list() const;
  void tick(std::uint64_t generation);
  void gateway_tick(const std::string& fn);
  Duration uniform(int lo_ms, int hi_ms);
  bool chance(double p);
  std::string check_always();
  std::string check_settled();
  std::string check_pool();
  void start_daemon();
  void crash_daemon();
  void random_input();
  void request(const std::string& fn);
  void apply_actions(const std::string& fn, gateway::Actions& actions);
  void finish_request(const std::string& fn, gateway::Token t, const std::string& replica, unsigned status);
  void deploy(const std::string& fn);
  void remove(const std::string& fn);
  void container_died(const std::string& id, int code, bool oom);
  control::Load load(const std::string& fn) const;
  control::FunctionConfig config(const std::string& fn, long revision) const;
  Container* find(const std::string& id);
  void replace_named(const std::string& name);  // Docker's create over a leftover of that name
  void log(std::string line);

  std::mt19937_64 rng_;
  TimePoint now_{};
  std::uint64_t seq_ = 0;
  struct Event {
    TimePoint t;
    std::uint64_t seq;
    Action a;
    bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  control::CoreOptions options_;
  std::unique_ptr<control::Reconciler> core_;
  std::uint64_t daemon_generation_ = 0;  // outcomes of a crashed daemon's operations are lost
  bool events_flowing_ = true;
  Faults faults_;
  // Runtime.
  std::map<std::string, Container> containers_;
  std::uint64_t next_id_ = 1;
  std::uint16_t next_port_ = 20000;
  // Registry: name -> revisions (current last), and the current one.
  std::map<std::string, std::vector<long>> registry_;
  std::map<std::string, long> current_;
  std::map<std::string, std::pair<std::optional<long>, std::optional<long>>> overrides_;
  std::set<std::string> bad_revisions_;  // "fn:rev": crashes at start
  // Gateway.
  struct Route {
    std::unique_ptr<gateway::Dispatcher> dispatcher;
    std::map<gateway::Token, std::string> dispatched;  // token -> replica
  };
  std::map<std::string, Route> routes_;
  std::map<gateway::Token, Request> requests_;
  gateway::Token next_token_ = 1;
  std::vector<std::string> trace_;
  std::map<std::string, std::string> claimer_;  // pool sandbox -> "function#incarnation" that took it
  std::map<std::string, int> removals_;         // function -> times removed (its incarnation)
  std::string broken_;
  bool injecting_ = true;
  std::uint64_t steps_ = 0;
  std::size_t claims_ = 0;
};

}  // namespace svl::sim
