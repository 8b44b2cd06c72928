#pragma once
// Several candidate keep-alive policies run side by side on one function; the real replica follows
// whichever has cost the function least lately.
//
// Once an idle period ends, the cost of any plan for it is known exactly, whichever plan the real
// replica followed: the memory it would have held until the next call, and whether that call would
// have found the replica unloaded (a cold start). So every candidate sees the same edges and
// arrivals, is replayed through its own transitions over each real idle period, and keeps a record
//   seconds of memory held + break-even seconds x cold starts
// that is forgotten with a half-life. At the start of each idle period the replica follows the
// candidate with the lowest record (the first candidate until one has done better).
//
// Why: the adaptive policy's window is optimal only if its model of the function's idle times is
// right. Where it is not (bursts, drifting rates), a candidate tuned to hold more or less memory does
// better by the same objective, and the record shows it after a few idle periods.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autoscaler/keepalive.hpp"

namespace svl::autoscaler {

struct PortfolioCandidate {
  std::string label;  // shown in the plan's rule, e.g. "cost x0.25"
  std::unique_ptr<KeepAlivePolicy> policy;
};

struct PortfolioConfig {
  // Seconds of idle memory a cold start is worth, asked as each idle period ends (for svl's
  // adaptive policy, the reference candidate's break-even, which follows the function's traffic).
  std::function<double()> breakeven_s;
  Duration half_life = std::chrono::hours(6);  // records forgotten by half over this much time
  std::string name = "portfolio";
};

class PortfolioPolicy final : public KeepAlivePolicy {
public:
  PortfolioPolicy(std::vector<PortfolioCandidate> candidates, PortfolioConfig config);
  std::string_view name() const override { return config_.name; }

  void on_busy(TimePoint now) override;
  void on_idle(TimePoint now) override;
  void on_evicted(TimePoint now) override;
  void on_arrival(TimePoint now) override;

  std::size_t candidates() const { return entries_.size(); }
  const KeepAlivePolicy& candidate(std::size_t i) const { return *entries_.at(i).policy; }
  std::size_t leader() const { return leader_; }
  // A candidate's decayed cost, in seconds of memory, as of the last idle period's end.
  double record(std::size_t i) const { return entries_.at(i).record; }

protected:
  void learn(Duration) override {}
  IdleSchedule plan(TimePoint idle_start) override;
  std::optional<IdleSchedule> plan_more(TimePoint idle_start, TimePoint now) override;

private:
  struct Entry {
    std::string label;
    std::unique_ptr<KeepAlivePolicy> policy;
    double record = 0;
    double held_s = 0;     // memory held in the current idle period so far
    TimePoint replayed{};  // the current idle period is accounted up to here
  };
  // Steps a candidate's decide() through its transitions up to `to`, adding the time it held memory.
  static void replay(Entry& e, TimePoint to);
  void replay_all(TimePoint to);
  IdleSchedule leader_schedule() const;

  std::vector<Entry> entries_;
  PortfolioConfig config_;
  std::size_t leader_ = 0;
  std::optional<TimePoint> last_scored_;
};

}  // namespace svl::autoscaler
