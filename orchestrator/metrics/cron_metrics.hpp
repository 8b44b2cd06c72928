#pragma once
// Cron triggers' metrics, on the daemon's Prometheus registry: runs by function and result
// (ok, failed, timeout, cancelled, abandoned, skipped, missed: each fire time counts once), and
// how late each call left after its fire time.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace svl::orchestrator {

class CronMetrics {
public:
  explicit CronMetrics(prometheus::Registry& registry);
  ~CronMetrics();
  void runs(const std::string& function, std::string_view result, std::uint64_t count = 1);
  void lateness(double seconds);

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace svl::orchestrator
