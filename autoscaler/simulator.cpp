#include "autoscaler/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <queue>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoscaler/function_autoscaler.hpp"
#include "autoscaler/memory_budget.hpp"

namespace svl::autoscaler {
namespace {

using Nanos = std::int64_t;
constexpr Nanos kSecond = 1'000'000'000;
constexpr Nanos kMinute = 60 * kSecond;

TimePoint at(Nanos t) { return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(t))); }
Nanos nanos(Duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

enum class EventKind : std::uint8_t { completion, arrival, timer, tick };

struct Event {
  Nanos t;
  EventKind kind;
  std::uint32_t function;
  std::uint64_t generation;  // timers: only the latest one counts
  bool operator>(const Event& o) const {
    if (t != o.t) return t > o.t;
    return kind > o.kind;  // completions first at equal times: the replica is free for the arrival
  }
};

// Draws execution times from a function's percentile points (piecewise-linear inverse CDF).
double sample_duration_ms(const DurationPercentiles& d, std::mt19937_64& rng) {
  if (d.points.size() < 2) return d.average_ms;
  double u = std::uniform_real_distribution<double>(d.points.front().first, d.points.back().first)(rng);
  for (std::size_t i = 1; i < d.points.size(); ++i) {
    auto [p0, v0] = d.points[i - 1];
    auto [p1, v1] = d.points[i];
    if (u <= p1) return p1 > p0 ? v0 + (v1 - v0) * (u - p0) / (p1 - p0) : v1;
  }
  return d.points.back().second;
}

struct FunctionState {
  const TraceFunction* trace = nullptr;
  std::unique_ptr<FunctionAutoscaler> autoscaler;
  std::uint64_t memory_bytes = 0;
  double memory_gb = 0;
  std::mt19937_64 rng;
  // Arrivals of the current minute.
  std::uint32_t minute = 0;
  std::vector<Nanos> pending;
  std::size_t next_arrival = 0;
  // Load.
  std::uint32_t inflight = 0;
  double integral = 0;
  Nanos accounted_until = 0;
  Nanos last_busy = 0;
  // Replicas.
  std::uint32_t ready = 0;
  Tier idle_tier = Tier::removed;
  Nanos woken_at = 0;  // when the replica being woken is ready: calls arriving before wait for it
  std::uint64_t timer_generation = 0;
  bool ticking = false;
  // Count oracle (SimResult::oracle_floor_gb_s), from the undelayed calls in arrival order: the
  // union of its holding windows [minute start, call end] and of the busy intervals [start, end].
  Nanos oracle_held_until = 0;
  Nanos oracle_held_ns = 0;
  Nanos oracle_busy_until = 0;
  Nanos oracle_busy_ns = 0;
  std::vector<SimCall> calls;
  // Results.
  std::uint64_t invocations = 0;
  std::uint64_t cold = 0;
  double wasted_gb_s = 0;

  std::uint32_t held_replicas() const { return ready + (ready == 0 && idle_tier == Tier::paused ? 1 : 0); }
};

class Simulation {
public:
  Simulation(const Trace& trace, const SimOptions& options)
      : trace_(trace), options_(options), end_(static_cast<Nanos>(trace.minutes) * 60 * kSecond),
        budget_(options.memory_budget_bytes.value_or(0)) {
    result_.policy = options.policy.text;
    result_.functions = trace.functions.size();
    functions_.resize(trace.functions.size());
    const double cold_cost_s = std::chrono::duration<double>(options.costs.from_stopped).count();
    for (std::size_t i = 0; i < functions_.size(); ++i) {
      auto& f = functions_[i];
      f.trace = &trace.functions[i];
      double mb = f.trace->memory_mb.value_or(options.default_memory_mb);
      if (!f.trace->memory_mb) ++result_.missing_memory;
      if (!f.trace->durations) ++result_.missing_durations;
      f.memory_bytes = static_cast<std::uint64_t>(mb * 1024 * 1024);
      f.memory_gb = mb / 1024.0;
      f.autoscaler = std::make_unique<FunctionAutoscaler>(options.scaling, make_policy(options.policy, f.memory_bytes),
                                                          at(0));
      f.rng.seed(options.seed * 0x9E3779B97F4A7C15ull + i);
      if (options.memory_budget_bytes) budget_.set_function(static_cast<FunctionId>(i), f.memory_bytes, cold_cost_s);
      f.minute = 0;
      schedule_next_arrival(static_cast<std::uint32_t>(i));
    }
  }

  SimResult run() {
    while (!events_.empty() && events_.top().t <= end_) {
      Event e = events_.top();
      events_.pop();
      auto& f = functions_[e.function];
      account(f, e.t);
      switch (e.kind) {
        case EventKind::arrival: arrive(e.function, e.t); break;
        case EventKind::completion: complete(e.function, e.t); break;
        case EventKind::timer:
          if (e.generation == f.timer_generation) decide(e.function, e.t);
          break;
        case EventKind::tick: tick(e.function, e.t); break;
      }
    }
    for (auto& f : functions_) account(f, end_);
    finish();
    return result_;
  }

private:
  void schedule_next_arrival(std::uint32_t id) {
    auto& f = functions_[id];
    while (f.next_arrival >= f.pending.size()) {
      if (f.minute >= trace_.minutes) return;
      std::uint32_t count = f.trace->per_minute[f.minute];
      f.pending.resize(count);
      std::uniform_int_distribution<Nanos> in_minute(0, 60 * kSecond - 1);
      const Nanos base = static_cast<Nanos>(f.minute) * 60 * kSecond;
      for (auto& t : f.pending) t = base + in_minute(f.rng);
      std::sort(f.pending.begin(), f.pending.end());
      f.next_arrival = 0;
      ++f.minute;
    }
    events_.push({f.pending[f.next_arrival++], EventKind::arrival, id, 0});
  }

  Load load_of(const FunctionState& f, std::uint32_t queued = 0) const {
    return Load{f.integral, f.inflight, queued, f.ready};
  }

  // Integrates load and memory up to `t` at the function's current state.
  void account(FunctionState& f, Nanos t) {
    if (t <= f.accounted_until) return;
    const double dt = static_cast<double>(t - f.accounted_until) / kSecond;
    f.integral += f.inflight * dt;
    const std::uint32_t held = f.held_replicas();
    if (held > 0) {
      // Load packed onto as few replicas as the per-replica target allows; the rest are idle.
      // The gateway routes to the least-loaded ready replica, so each request in flight keeps one
      // replica busy until every replica has one.
      const std::uint32_t busy = f.inflight;
      const double wasted = (held - std::min(held, busy)) * f.memory_gb * dt;
      result_.wasted_gb_s += wasted;
      f.wasted_gb_s += wasted;
      if (f.inflight == 0) result_.wasted_idle_gb_s += wasted;
    }
    f.accounted_until = t;
  }

  void set_replicas(std::uint32_t id, Nanos t, std::uint32_t ready, Tier idle_tier, bool on_demand) {
    auto& f = functions_[id];
    const std::uint64_t before = f.held_replicas();
    const bool was_unloaded = f.ready == 0 && !holds_memory(f.idle_tier);
    if (!on_demand && was_unloaded && (ready > 0 || idle_tier == Tier::paused)) ++result_.prewarms;
    f.ready = ready;
    f.idle_tier = ready > 0 ? Tier::warm : idle_tier;
    const std::uint64_t after = f.held_replicas();
    if (after > before && options_.memory_budget_bytes) {
      const std::uint64_t need = (after - before) * f.memory_bytes;
      for (FunctionId v : budget_.pick_victims(held_bytes_, need, id)) evict(v, t);
    }
    held_bytes_ = held_bytes_ + after * f.memory_bytes - before * f.memory_bytes;
    result_.peak_memory_gb = std::max(result_.peak_memory_gb, static_cast<double>(held_bytes_) / double(1ull << 30));
    if (options_.memory_budget_bytes) budget_.set_idle_loaded(id, after > 0 && f.inflight == 0);
  }

  void evict(FunctionId v, Nanos t) {
    auto& f = functions_[v];
    account(f, t);
    f.autoscaler->on_evicted(at(t));
    held_bytes_ -= f.held_replicas() * f.memory_bytes;
    f.ready = 0;
    f.idle_tier = Tier::stopped;
    ++f.timer_generation;
    ++result_.evictions;
    FunctionDecision d = f.autoscaler->on_tick(at(t), load_of(f));
    if (d.next_due) events_.push({std::max(t, nanos(d.next_due->time_since_epoch())), EventKind::timer, v, f.timer_generation});
  }

  void apply(std::uint32_t id, Nanos t, const FunctionDecision& d, bool on_demand = false) {
    auto& f = functions_[id];
    set_replicas(id, t, d.desired_ready, d.idle_tier, on_demand);
    ++f.timer_generation;
    if (d.next_due)
      events_.push({std::max(t, nanos(d.next_due->time_since_epoch())), EventKind::timer, id, f.timer_generation});
  }

  void decide(std::uint32_t id, Nanos t) {
    auto& f = functions_[id];
    apply(id, t, f.autoscaler->on_tick(at(t), load_of(f)));
  }

  void ensure_ticking(std::uint32_t id, Nanos t) {
    auto& f = functions_[id];
    if (f.ticking) return;
    f.ticking = true;
    events_.push({t + nanos(options_.scaling.tick_interval), EventKind::tick, id, 0});
  }

  void tick(std::uint32_t id, Nanos t) {
    auto& f = functions_[id];
    decide(id, t);
    const Nanos quiet = nanos(options_.scaling.stable_window + options_.scaling.tick_interval);
    if (f.inflight > 0 || f.ready > 1 || t - f.last_busy < quiet) {
      events_.push({t + nanos(options_.scaling.tick_interval), EventKind::tick, id, 0});
    } else {
      f.ticking = false;
    }
  }

  void arrive(std::uint32_t id, Nanos t) {
    auto& f = functions_[id];
    ++f.invocations;
    ++result_.invocations;
    if (options_.memory_budget_bytes) budget_.on_invocation(id);
    Nanos delay = 0;
    if (f.ready == 0) {
      switch (f.idle_tier) {
        case Tier::paused:
          ++result_.wakes_paused;
          delay = nanos(options_.costs.from_paused);
          break;
        case Tier::stopped:
          ++result_.wakes_stopped;
          ++f.cold;
          delay = nanos(options_.costs.from_stopped);
          break;
        case Tier::removed:
        case Tier::warm:
          ++result_.wakes_removed;
          ++f.cold;
          delay = nanos(options_.costs.from_removed);
          break;
      }
      f.woken_at = t + delay;
      apply(id, t, f.autoscaler->on_demand(at(t), load_of(f, 1)), true);
    } else if (t < f.woken_at) {
      delay = f.woken_at - t;  // held behind the wake in progress
    }
    if (delay > 0) delays_.push_back(delay);
    ++f.inflight;
    f.last_busy = t;
    f.autoscaler->on_invocation_start(at(t));
    if (options_.memory_budget_bytes) budget_.set_idle_loaded(id, false);
    const double ms = f.trace->durations ? sample_duration_ms(*f.trace->durations, f.rng) : options_.default_duration_ms;
    const Nanos duration = static_cast<Nanos>(ms * 1e6);
    events_.push({t + delay + duration, EventKind::completion, id, 0});
    oracle_call(f, t, duration);
    ensure_ticking(id, t);
    schedule_next_arrival(id);
  }

  // Adds interval [start, end) to a union of intervals that arrive in non-decreasing `start` order,
  // represented by its end and its total length.
  static void extend_union(Nanos start, Nanos end, Nanos& until, Nanos& length) {
    if (end <= until) return;
    length += end - std::max(start, until);
    until = end;
  }

  // The count oracle cannot know where inside the minute the calls land, so with no cold start it
  // holds the replica from the start of the call's minute (or from the end of an earlier call,
  // when that is later: then it was busy anyway) until the call ends. Arrivals come in time order.
  void oracle_call(FunctionState& f, Nanos start, Nanos duration) {
    const Nanos end = start + duration;
    extend_union(start - start % kMinute, end, f.oracle_held_until, f.oracle_held_ns);
    extend_union(start, end, f.oracle_busy_until, f.oracle_busy_ns);
    if (options_.record_calls) f.calls.push_back({start, duration});
  }

  void complete(std::uint32_t id, Nanos t) {
    auto& f = functions_[id];
    if (f.inflight > 0) --f.inflight;
    f.last_busy = t;
    f.autoscaler->on_invocation_end(at(t));
    if (f.inflight == 0) decide(id, t);
  }

  // Total and nearest-rank p99 over all calls of the wait wakes added; calls without one waited 0.
  void finish_latency() {
    Nanos total = 0;
    for (Nanos d : delays_) total += d;
    result_.delayed_calls = delays_.size();
    result_.wake_latency_total_s = static_cast<double>(total) / kSecond;
    if (result_.invocations == 0) return;
    const auto rank = static_cast<std::uint64_t>(std::ceil(0.99 * static_cast<double>(result_.invocations)));
    const std::uint64_t undelayed = result_.invocations - delays_.size();
    if (rank <= undelayed) return;
    auto nth = delays_.begin() + static_cast<std::ptrdiff_t>(rank - undelayed - 1);
    std::nth_element(delays_.begin(), nth, delays_.end());
    result_.wake_latency_p99_ms = static_cast<double>(*nth) / 1e6;
  }

  void finish() {
    finish_latency();
    result_.cold_starts = result_.wakes_stopped + result_.wakes_removed;
    result_.cold_start_pct = result_.invocations ? 100.0 * result_.cold_starts / result_.invocations : 0;
    std::vector<double> per_function;
    for (auto& f : functions_) {
      const double floor = f.memory_gb * static_cast<double>(f.oracle_held_ns - f.oracle_busy_ns) / kSecond;
      const double allowance = static_cast<double>(f.cold) * 60.0 * f.memory_gb;
      const double after_allowance = std::max(0.0, floor - allowance);
      result_.oracle_floor_gb_s += floor;
      result_.oracle_floor_minus_cold_allowance_gb_s += after_allowance;
      result_.per_function.push_back({f.invocations, f.cold, f.wasted_gb_s, floor, after_allowance, std::move(f.calls)});
    }
    for (auto& f : functions_)
      if (f.invocations > 0) per_function.push_back(100.0 * f.cold / f.invocations);
    if (!per_function.empty()) {
      std::sort(per_function.begin(), per_function.end());
      // Nearest-rank 75th percentile.
      auto rank = static_cast<std::size_t>(std::ceil(0.75 * per_function.size()));
      result_.cold_start_pct_p75 = per_function[std::max<std::size_t>(rank, 1) - 1];
    }
  }

  const Trace& trace_;
  const SimOptions& options_;
  Nanos end_;
  std::vector<FunctionState> functions_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  MemoryBudget budget_;
  std::uint64_t held_bytes_ = 0;
  std::vector<Nanos> delays_;  // every wait a wake added to a call (most calls have none)
  SimResult result_;
};

}  // namespace

SimResult simulate(const Trace& trace, const SimOptions& options) { return Simulation(trace, options).run(); }

std::string to_json(const SimResult& r, double fixed10m_wasted_gb_s) {
  nlohmann::ordered_json j;
  j["policy"] = r.policy;
  j["functions"] = r.functions;
  j["invocations"] = r.invocations;
  j["cold_starts"] = r.cold_starts;
  j["cold_starts_by_tier"] = {{"paused", r.wakes_paused}, {"stopped", r.wakes_stopped}, {"removed", r.wakes_removed}};
  j["cold_start_pct"] = r.cold_start_pct;
  j["cold_start_pct_p75"] = r.cold_start_pct_p75;
  j["wasted_gb_s"] = r.wasted_gb_s;
  if (fixed10m_wasted_gb_s > 0)
    j["wasted_vs_fixed10m"] = r.wasted_gb_s / fixed10m_wasted_gb_s;
  else
    j["wasted_vs_fixed10m"] = nullptr;
  j["wasted_idle_gb_s"] = r.wasted_idle_gb_s;
  j["oracle_floor_gb_s"] = r.oracle_floor_gb_s;
  j["oracle_floor_minus_cold_allowance_gb_s"] = r.oracle_floor_minus_cold_allowance_gb_s;
  j["wake_latency_total_s"] = r.wake_latency_total_s;
  j["wake_latency_p99_ms"] = r.wake_latency_p99_ms;
  j["delayed_calls"] = r.delayed_calls;
  j["peak_memory_gb"] = r.peak_memory_gb;
  j["evictions"] = r.evictions;
  j["prewarms"] = r.prewarms;
  j["missing_durations"] = r.missing_durations;
  j["missing_memory"] = r.missing_memory;
  return j.dump();
}

std::string to_text(const SimResult& r, double fixed10m_wasted_gb_s) {
  char buf[2048];
  std::snprintf(buf, sizeof buf,
                "policy              %s\n"
                "functions           %llu\n"
                "invocations         %llu\n"
                "cold starts         %llu (%.4f %%; p75 of functions %.2f %%)\n"
                "  woke from stopped %llu\n"
                "  woke from removed %llu\n"
                "wakes from paused   %llu (not cold starts)\n"
                "wake latency        %.1f s in all, over %llu calls; p99 over calls %.1f ms\n"
                "wasted memory       %.1f GB-s (%.3f x fixed:10m)\n"
                "count-oracle floor  %.1f GB-s (%.3f x fixed:10m); %.1f GB-s less this run's cold starts x 1 min\n"
                "peak memory         %.2f GB\n"
                "pre-warms           %llu\n"
                "evictions           %llu\n",
                r.policy.c_str(), static_cast<unsigned long long>(r.functions),
                static_cast<unsigned long long>(r.invocations), static_cast<unsigned long long>(r.cold_starts),
                r.cold_start_pct, r.cold_start_pct_p75, static_cast<unsigned long long>(r.wakes_stopped),
                static_cast<unsigned long long>(r.wakes_removed), static_cast<unsigned long long>(r.wakes_paused),
                r.wake_latency_total_s, static_cast<unsigned long long>(r.delayed_calls), r.wake_latency_p99_ms,
                r.wasted_gb_s, fixed10m_wasted_gb_s > 0 ? r.wasted_gb_s / fixed10m_wasted_gb_s : 0.0,
                r.oracle_floor_gb_s, fixed10m_wasted_gb_s > 0 ? r.oracle_floor_gb_s / fixed10m_wasted_gb_s : 0.0,
                r.oracle_floor_minus_cold_allowance_gb_s,
                r.peak_memory_gb, static_cast<unsigned long long>(r.prewarms),
                static_cast<unsigned long long>(r.evictions));
  std::string out = buf;
  if (r.missing_durations || r.missing_memory)
    out += "note: " + std::to_string(r.missing_durations) + " functions without durations, " +
           std::to_string(r.missing_memory) + " without memory (defaults used)\n";
  return out;
}

}  // namespace svl::autoscaler
