#include "autoscaler/adaptive_policy.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>

namespace svl::autoscaler {
namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
Duration from_seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(std::max(0.0, s)));
}

// Prior idle times (seconds), spread log-uniformly from 10 s to 8 h: an uninformed guess that
// the next idle time could be of any order of magnitude.
constexpr std::array<double, 9> prior_points{10, 40, 150, 600, 1200, 2400, 4800, 14400, 28800};

struct Point {
  double x;
  double w;
};

}  // namespace

AdaptivePolicy::AdaptivePolicy(AdaptivePolicyConfig config) : config_(config), forecast_(config.minute_phase) {
  recent_.reserve(config_.history);
}

void AdaptivePolicy::learn(Duration idle_time) {
  double s = seconds(idle_time);
  if (recent_.size() < config_.history) {
    recent_.push_back(s);
  } else {
    recent_[next_] = s;
    next_ = (next_ + 1) % recent_.size();
  }
  ++total_;
  ++since_optimised_;
}

AdaptiveWindow AdaptivePolicy::window() {
  // Re-optimise on every new idle time while history is short, then every few (O(n^2) each).
  const std::uint64_t every = std::clamp<std::uint64_t>(total_ / 16, 1, 8);
  if (!cached_ || since_optimised_ >= every) {
    cached_ = optimise();
    since_optimised_ = 0;
  }
  return *cached_;
}

AdaptiveWindow AdaptivePolicy::optimise() const {
  std::vector<Point> pts;
  pts.reserve(recent_.size() + prior_points.size());
  for (double x : recent_) pts.push_back({x, 1.0});
  double prior_total = config_.prior_weight;
  if (config_.prior_half_life > 0)
    prior_total *= config_.prior_half_life / (config_.prior_half_life + static_cast<double>(total_));
  const double prior_w = prior_total / static_cast<double>(prior_points.size());
  if (prior_w > 0)
    for (double x : prior_points) pts.push_back({x, prior_w});
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  const std::size_t n = pts.size();

  // Break-even idle time: a cold start costs as much as this many seconds of idle memory.
  const double gb = static_cast<double>(config_.memory_bytes) / double(1ull << 30);
  double mean_idle = 3600;
  if (!recent_.empty()) {
    double sum = 0;
    for (double x : recent_) sum += x;
    mean_idle = sum / static_cast<double>(recent_.size());
  }
  const double boost = 1 + config_.rare_boost * std::min(1.0, mean_idle / 3600);
  const double breakeven = boost * config_.cold_start_cost_gb_s / std::max(gb, 1e-3);
  const double max_keep = seconds(config_.max_keep);

  std::vector<double> W(n + 1, 0), S(n + 1, 0);  // prefix sums of w and w*x
  for (std::size_t i = 0; i < n; ++i) {
    W[i + 1] = W[i] + pts[i].w;
    S[i + 1] = S[i] + pts[i].w * pts[i].x;
  }
  const double total_w = W[n];
  const bool allow_prewarm = total_ >= config_.prewarm_min_samples;

  // h(j, k): cost when only a pre-warm window [x_j, x_k] exists (arrivals outside it are cold).
  // H[s] = best h over windows starting at sample >= s, or no window at all (everything cold).
  struct Best {
    double cost;
    std::size_t j, k;  // j == n: no window
  };
  std::vector<Best> H(n + 1, Best{breakeven * total_w, n, n});
  for (std::size_t j = n; j-- > 0;) {
    H[j] = H[j + 1];
    if (!allow_prewarm) continue;
    const double L = pts[j].x;
    for (std::size_t k = j; k < n; ++k) {
      const double E = pts[k].x;
      if (E - L > max_keep) break;
      const double inside = W[k + 1] - W[j];
      const double after = total_w - W[k + 1];
      const double cost = breakeven * (W[j] + after) + (S[k + 1] - S[j]) - L * inside + after * (E - L);
      if (cost < H[j].cost) H[j] = {cost, j, k};
    }
  }
  // Add the first window [0, x_k1]: samples up to k1 are caught (waste = their idle time), the
  // first window is wasted in full for all later ones.
  double best = H[0].cost;
  std::optional<std::size_t> best_k1;
  Best second = H[0];
  for (std::size_t k1 = 0; k1 < n; ++k1) {
    const double E1 = pts[k1].x;
    if (E1 > max_keep) break;
    const Best& h = H[k1 + 1];
    const double cost = S[k1 + 1] + E1 * (total_w - W[k1 + 1]) - breakeven * W[k1 + 1] + h.cost;
    if (cost < best) {
      best = cost;
      best_k1 = k1;
      second = h;
    }
  }

  AdaptiveWindow out;
  double covered = 0;
  const double m = seconds(config_.margin_min);
  auto widen_up = [&](double x) { return from_seconds(std::max(x * (1 + config_.margin), x + m)); };
  auto widen_down = [&](double x) { return from_seconds(std::min(x * (1 - config_.margin), x - m)); };
  if (best_k1) {
    out.keep_until = widen_up(pts[*best_k1].x);
    covered += W[*best_k1 + 1];
  }
  if (second.j < n) {
    out.prewarm_at = widen_down(pts[second.j].x);
    out.prewarm_until = widen_up(pts[second.k].x);
    covered += W[second.k + 1] - W[second.j];
  }
  out.expected_cold = total_w > 0 ? 1 - covered / total_w : 1;
  out.breakeven = breakeven;
  return out;
}

void AdaptivePolicy::on_arrival(TimePoint now) {
  if (config_.minute_forecast) forecast_.on_call(now);
}

IdleSchedule AdaptivePolicy::minute_plan(TimePoint t0, TimePoint now, bool first) {
  // Load a minute when a cold start in it would cost more than holding it: holding costs the
  // minute (60 s of memory), a cold start `breakeven` seconds plus, on average, half a minute held
  // after it.
  const double be = window().breakeven;
  const double threshold = 60.0 / (be + 30.0);
  constexpr std::int64_t horizon = 240;  // minutes looked ahead
  const std::int64_t c = forecast_.minute_of(now);
  auto loaded = [&](std::int64_t m) { return forecast_.probability(m) >= threshold; };
  IdleSchedule s;
  // Each window ends after one minute, and plan_more asks again then: every silent minute changes
  // the forecast.
  std::int64_t m = c;
  if (first) {
    const std::int64_t keep_minutes = loaded(c + 1) ? 2 : 1;
    s.keep_until = forecast_.minute_start(c + keep_minutes) - t0;
    m = c + keep_minutes;
  }
  while (m <= c + horizon && !loaded(m)) ++m;
  if (m <= c + horizon) {
    s.prewarm_at = std::max(forecast_.minute_start(m) - config_.prewarm_lead, now) - t0;
    s.prewarm_until = forecast_.minute_start(m + 1) - t0;
  }
  s.pause_at = config_.pause_after;
  s.prewarm_paused = true;
  s.remove_at = std::max(s.keep_until, s.prewarm_until) + config_.stopped_retention;
  char buf[160];
  std::snprintf(buf, sizeof buf, "adaptive minute forecast (%s) keep=%.0fs next=%.0fs threshold=%.3f",
                forecast_.model_name(forecast_.best_model()).c_str(), seconds(s.keep_until), seconds(s.prewarm_at),
                threshold);
  s.rule = buf;
  return s;
}

std::optional<IdleSchedule> AdaptivePolicy::plan_more(TimePoint t0, TimePoint now) {
  if (!minute_mode_) return std::nullopt;
  forecast_.advance(now);
  return minute_plan(t0, now, false);  // with no window ahead, decide() stops asking
}

IdleSchedule AdaptivePolicy::plan(TimePoint t0) {
  minute_mode_ = false;
  if (config_.minute_forecast && forecast_.seen_any()) {
    forecast_.advance(t0);
    if (forecast_.informative(config_.forecast_margin)) {
      minute_mode_ = true;
      return minute_plan(t0, t0, true);
    }
  }
  AdaptiveWindow w = window();
  IdleSchedule s;
  s.keep_until = w.keep_until;
  s.prewarm_at = w.prewarm_at;
  s.prewarm_until = w.prewarm_until;
  s.pause_at = config_.pause_after;
  s.prewarm_paused = true;
  s.remove_at = std::max(w.keep_until, w.prewarm_until) + config_.stopped_retention;
  char buf[200];
  std::snprintf(buf, sizeof buf, "adaptive keep=%.0fs prewarm=%.0f-%.0fs p_cold=%.2f samples=%llu",
                seconds(w.keep_until), seconds(w.prewarm_at), seconds(w.prewarm_until), w.expected_cold,
                static_cast<unsigned long long>(total_));
  s.rule = buf;
  return s;
}

}  // namespace svl::autoscaler
