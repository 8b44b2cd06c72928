#include "orchestrator/metrics/cron_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace svl::orchestrator {

struct CronMetrics::Impl {
  explicit Impl(prometheus::Registry& r)
      : runs(prometheus::BuildCounter()
                 .Name("svl_cron_runs_total")
                 .Help("Cron trigger fire times, by function and result (ok, failed, timeout, cancelled, abandoned, "
                       "skipped, missed).")
                 .Register(r)),
        lateness_family(prometheus::BuildHistogram()
                            .Name("svl_cron_lateness_seconds")
                            .Help("From a trigger's fire time to its call leaving for the gateway.")
                            .Register(r)),
        lateness(lateness_family.Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
                                                                                 0.5, 1, 5, 30})) {}
  prometheus::Family<prometheus::Counter>& runs;
  prometheus::Family<prometheus::Histogram>& lateness_family;
  prometheus::Histogram& lateness;
};

CronMetrics::CronMetrics(prometheus::Registry& registry) : impl_(std::make_unique<Impl>(registry)) {}
CronMetrics::~CronMetrics() = default;

void CronMetrics::runs(const std::string& function, std::string_view result, std::uint64_t count) {
  impl_->runs.Add({{"function", function}, {"result", std::string(result)}}).Increment(static_cast<double>(count));
}

void CronMetrics::lateness(double seconds) { impl_->lateness.Observe(seconds); }

}  // namespace svl::orchestrator
