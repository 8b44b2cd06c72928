#include "autoscaler/concurrency_window.hpp"

#include <algorithm>
#include <chrono>

namespace svl::autoscaler {
namespace {
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

void ConcurrencyWindow::record(TimePoint now, double integral) {
  if (!samples_.empty() && now < samples_.back().at) return;
  if (!samples_.empty() && now == samples_.back().at) {
    samples_.back().integral = integral;
  } else {
    samples_.push_back({now, integral});
  }
  // Keep one sample older than the retention so the far edge can still be interpolated.
  while (samples_.size() > 2 && samples_[1].at <= now - retention_) samples_.pop_front();
}

double ConcurrencyWindow::integral_at(TimePoint t) const {
  auto it = std::lower_bound(samples_.begin(), samples_.end(), t,
                             [](const Sample& s, TimePoint v) { return s.at < v; });
  if (it == samples_.begin()) return it->integral;
  if (it == samples_.end()) return samples_.back().integral;
  if (it->at == t) return it->integral;
  const Sample& hi = *it;
  const Sample& lo = *(it - 1);
  double f = seconds(t - lo.at) / seconds(hi.at - lo.at);
  return lo.integral + f * (hi.integral - lo.integral);
}

double ConcurrencyWindow::average(TimePoint now, Duration window) const {
  if (samples_.empty() || window <= Duration::zero()) return 0;
  TimePoint from = std::max(now - window, samples_.front().at);
  TimePoint to = std::min(now, samples_.back().at);
  if (to <= from) return 0;
  return std::max(0.0, (integral_at(to) - integral_at(from)) / seconds(to - from));
}

}  // namespace svl::autoscaler
