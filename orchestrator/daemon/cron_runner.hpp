#pragma once
// Cron triggers ([[cron]]) carried out: a schedule::Trigger per trigger decides (which fire times
// run, are skipped or were missed while the daemon was down); this runs the calls through the
// gateway (cron_call.hpp), records every run in the registry, counts them, and logs. Runs on the
// control thread. Triggers follow the functions the reconcile core has, within a second of a
// deploy or removal.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "orchestrator/control/reconciler.hpp"
#include "orchestrator/daemon/cron_call.hpp"
#include "orchestrator/metrics/cron_metrics.hpp"
#include "orchestrator/registry/registry.hpp"
#include "schedule/trigger.hpp"

namespace svl::orchestrator {

struct CronRunnerOptions {
  std::string gateway_host = "127.0.0.1";
  std::uint16_t gateway_port = 0;
  std::string token;  // the gateway's internal_token
};

class CronRunner {
public:
  CronRunner(boost::asio::io_context& ctl, CronRunnerOptions options, const control::Reconciler& core,
             Registry& registry, CronMetrics& metrics);
  ~CronRunner();

  // Once the functions are loaded: fire times missed while the daemon was down are accounted for
  // (logged, recorded, and run once with catch_up), then triggers run until stop().
  void start();
  // Calls in flight are cancelled and recorded as abandoned.
  void stop();

  // `svl cron NAME`: the function's triggers with their next fire time, and its latest runs
  // (at most `limit` per trigger). Null when the function does not exist.
  nlohmann::json view(const std::string& function, std::size_t limit) const;

private:
  using Key = std::pair<std::string, std::string>;  // function, trigger
  struct Flight {
    std::int64_t row = 0;
    std::shared_ptr<boost::asio::cancellation_signal> cancel;
  };
  struct Entry {
    CronSpec cron;
    schedule::Trigger trigger;
    std::map<schedule::RunId, Flight> flights;
  };

  boost::asio::awaitable<void> loop();
  void sync(schedule::sys_seconds now);
  void add(const Key& key, const CronSpec& cron, schedule::sys_seconds now);
  void fire(schedule::sys_seconds now);
  void carry_out(const Key& key, std::vector<schedule::Action> actions);
  void start_run(const Key& key, Entry& e, const schedule::action::StartRun& run);
  void run_ended(const Key& key, schedule::RunId id, std::int64_t row, std::chrono::system_clock::time_point started,
                 const CallResult& result);
  void record(CronRun run);

  boost::asio::io_context& ctl_;
  CronRunnerOptions options_;
  const control::Reconciler& core_;
  Registry& registry_;
  CronMetrics& metrics_;
  boost::asio::steady_timer timer_;
  std::map<Key, Entry> entries_;
  bool started_ = false, stopping_ = false;
  bool resumed_ = false;  // the first sync (daemon start) has accounted for missed fire times
};

}  // namespace svl::orchestrator
