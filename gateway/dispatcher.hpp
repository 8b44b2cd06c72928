#pragma once
// Per-function dispatch decisions as a plain state machine: events in, actions out.
// It owns the replica set (ready / draining), outstanding counts, the container_concurrency
// limit and the FIFO hold queue with its deadlines. It never reads a clock and never does I/O:
// the caller passes `now` and carries out the returned actions (see gateway/session.cpp).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"

namespace svl::gateway {

using Token = std::uint64_t;  // one request, unique per gateway

struct DispatchLimits {
  std::uint32_t container_concurrency = 0;  // per replica; 0 = unlimited
  std::size_t max_queue = 1000;             // held requests beyond this are rejected
  Duration start_timeout = std::chrono::seconds(30);
};

struct Action {
  enum class Kind {
    dispatch,           // send `token` to `replica` now
    hold,               // `token` waits in the queue
    reject_queue_full,  // answer `token` with 503 + Retry-After
    fail_timeout,       // `token` waited start_timeout: answer 504
    fail_held,          // `token` was held and the orchestrator gave up (fail_held): answer it
    capacity_needed,    // no ready replica has room for the held requests: scale now (`queued`)
    replica_drained,    // draining `replica` has no request left
  };
  Kind kind;
  Token token = 0;
  std::string replica;
  std::size_t queued = 0;

  bool operator==(const Action&) const = default;
};
using Actions = std::vector<Action>;

struct ReplicaState {
  std::string id;
  bool draining = false;
  bool drained_reported = false;
  std::uint32_t outstanding = 0;
  std::uint64_t requests_total = 0;
  double outstanding_integral = 0;  // request-seconds on this replica
  TimePoint last_request_end{};
};

struct DispatcherLoad {
  std::uint32_t inflight = 0;
  std::uint32_t queued = 0;
  double concurrency_integral = 0;  // seconds of (inflight + queued), exact
  std::uint64_t requests_total = 0;
  TimePoint last_request_end{};
  std::vector<ReplicaState> replicas;  // integrals advanced to `now`
};

class Dispatcher {
public:
  Dispatcher(DispatchLimits limits, TimePoint now);

  // A new limit may release held requests (higher concurrency) or not.
  void set_limits(DispatchLimits limits, TimePoint now, Actions& out);
  const DispatchLimits& limits() const { return limits_; }

  void request_arrived(Token t, TimePoint now, Actions& out);
  // The request dispatched to `replica` is over (any outcome after a connection was made).
  void request_finished(Token t, std::string_view replica, TimePoint now, Actions& out);
  // The replica refused the connection before any request byte was sent: try another replica
  // (not `replica`) or hold the request again at the front of the queue. Never an error.
  void connect_failed(Token t, std::string_view replica, TimePoint now, Actions& out);
  // A held request whose client went away.
  void request_cancelled(Token t, TimePoint now, Actions& out);

  void replica_added(std::string id, TimePoint now, Actions& out);
  void replica_draining(std::string_view id, TimePoint now, Actions& out);
  void replica_removed(std::string_view id, TimePoint now, Actions& out);

  // Fails every held request whose deadline is <= now.
  void tick(TimePoint now, Actions& out);
  // Fails every held request now (e.g. the function cannot start).
  void fail_held(TimePoint now, Actions& out);

  std::optional<TimePoint> next_deadline() const;
  std::size_t queued() const { return held_.size(); }
  std::uint32_t inflight() const { return inflight_; }
  bool is_held(Token t) const;
  DispatcherLoad load(TimePoint now) const;
  const std::vector<ReplicaState>& replicas() const { return replicas_; }

private:
  struct Held {
    Token token;
    TimePoint deadline;
    std::string excluded;  // a replica that refused this request; cleared when a replica is added
  };

  void advance(TimePoint now);
  ReplicaState* find(std::string_view id);
  // Least outstanding among ready replicas with room, skipping `excluded`.
  ReplicaState* pick(std::string_view excluded);
  void start(Token t, ReplicaState& r, TimePoint deadline, Actions& out);
  void release_held(TimePoint now, Actions& out);
  void hold(Held h, bool front, Actions& out);
  void report_if_drained(ReplicaState& r, Actions& out);

  DispatchLimits limits_;
  std::vector<ReplicaState> replicas_;
  std::deque<Held> held_;
  // Dispatched requests' hold deadlines, kept in case their connection is refused.
  std::unordered_map<Token, TimePoint> dispatched_deadline_;
  std::uint32_t inflight_ = 0;
  std::uint64_t requests_total_ = 0;
  double integral_ = 0;
  TimePoint last_{};
  TimePoint last_request_end_{};
  std::size_t rotate_ = 0;  // spreads ties between equally loaded replicas
};

}  // namespace svl::gateway
