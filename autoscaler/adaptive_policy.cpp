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

AdaptivePolicy::AdaptivePolicy(AdaptivePolicyConfig config) : config_(config) {
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
  const double prior_w = config_.prior_weight / static_cast<double>(prior_points.size());
  if (prior_w > 0)
    for (double x : prior_points) pts.push_back({x, prior_w});
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  const std::size_t n = pts.size();

  // Break-even idle time: a cold start costs as much as this many seconds of idle memory.
  const double gb = static_cast<double>(config_.memory_bytes) / double(1ull << 30);
  const double breakeven = config_.cold_start_cost_gb_s / std::max(gb, 1e-3);
  const double max_keep = seconds(config_.max_keep);

  std::vector<double> W(n + 1, 0), S(n + 1, 0);  // prefix sums of w and w*x
  for (std::size_t i = 0; i < n; ++i) {
    W[i + 1] = W[i] + pts[i].w;
    S[i + 1] = S[i] + pts[i].w * pts[i].x;
  }
  const double total_w = W[n];
  // Not keeping at all: every arrival is a cold start, no idle memory.
  double best = breakeven * total_w;
  AdaptiveWindow out;
  out.expected_cold = 1;
  // Window covering samples [j, k]: loaded from L (0 or x_j) to E = x_k.
  for (std::size_t j = 0; j < n; ++j) {
    for (int from_zero = 1; from_zero >= 0; --from_zero) {
      if (from_zero && j > 0) continue;
      const double L = from_zero ? 0.0 : pts[j].x;
      for (std::size_t k = j; k < n; ++k) {
        const double E = pts[k].x;
        if (E - L > max_keep) break;
        const double before = W[j];
        const double inside = W[k + 1] - W[j];
        const double after = total_w - W[k + 1];
        const double cost = breakeven * (before + after) + (S[k + 1] - S[j]) - L * inside + after * (E - L);
        if (cost < best) {
          best = cost;
          out.load_at = from_seconds(L);
          out.unload_at = from_seconds(E);
          out.expected_cold = (before + after) / total_w;
        }
      }
    }
  }
  if (out.unload_at > out.load_at) {
    // Widen: idle times vary around the samples (arrivals spread within each minute, jitter).
    const double l = seconds(out.load_at), e = seconds(out.unload_at);
    const double m = seconds(config_.margin_min);
    out.load_at = l > 0 ? from_seconds(std::min(l * (1 - config_.margin), l - m)) : Duration::zero();
    out.unload_at = from_seconds(std::max(e * (1 + config_.margin), e + m));
  }
  return out;
}

IdleSchedule AdaptivePolicy::plan(TimePoint) {
  AdaptiveWindow w = window();
  IdleSchedule s;
  s.load_at = w.load_at;
  s.unload_at = w.unload_at;
  s.pause_at = config_.pause_after;
  s.prewarm_paused = true;
  s.remove_at = s.unload_at + config_.stopped_retention;
  char buf[160];
  std::snprintf(buf, sizeof buf, "adaptive load_at=%.0fs unload_at=%.0fs p_cold=%.2f samples=%llu",
                seconds(w.load_at), seconds(w.unload_at), w.expected_cold,
                static_cast<unsigned long long>(total_));
  s.rule = buf;
  return s;
}

}  // namespace svl::autoscaler
