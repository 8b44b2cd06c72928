#include "orchestrator/daemon/cron_runner.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "orchestrator/daemon/daemon_log.hpp"
#include "orchestrator/spec/spec_schedule.hpp"

namespace svl::orchestrator {

namespace asio = boost::asio;
using namespace std::chrono;
using schedule::sys_seconds;
namespace action = schedule::action;

namespace {

using WallTime = system_clock::time_point;

std::string label(const std::pair<std::string, std::string>& key) { return "cron " + key.second + " of " + key.first; }

double seconds_between(WallTime a, WallTime b) { return duration<double>(b - a).count(); }

// The instant a record accounts for fire times up to: a run's fire time; a skipped or missed
// stretch's last (kept in `finished`).
sys_seconds covered_until(const CronRun& r) {
  const bool stretch = r.result == CronResult::skipped || r.result == CronResult::missed;
  return floor<seconds>(stretch && r.finished ? *r.finished : r.scheduled);
}

nlohmann::json instant(std::optional<WallTime> t, const schedule::TimeZone& zone) {
  if (!t) return nullptr;
  return {{"unix", duration<double>(t->time_since_epoch()).count()}, {"local", zone.format(floor<seconds>(*t))}};
}

CronResult result_of(const CallResult& r, bool stopping) {
  if (r.cancelled) return stopping ? CronResult::abandoned : CronResult::cancelled;
  if (r.timed_out) return CronResult::timeout;
  if (r.status && *r.status >= 200 && *r.status < 400) return CronResult::ok;
  return CronResult::failed;
}

}  // namespace

CronRunner::CronRunner(asio::io_context& ctl, CronRunnerOptions options, const control::Reconciler& core,
                       Registry& registry, CronMetrics& metrics)
    : ctl_(ctl), options_(std::move(options)), core_(core), registry_(registry), metrics_(metrics), timer_(ctl) {}

CronRunner::~CronRunner() = default;

void CronRunner::start() {
  if (started_) return;
  started_ = true;
  asio::co_spawn(ctl_, loop(), asio::detached);
}

void CronRunner::stop() {
  if (stopping_) return;
  stopping_ = true;
  timer_.cancel();
  for (auto& [key, e] : entries_)
    for (auto& [id, flight] : e.flights) flight.cancel->emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> CronRunner::loop() {
  while (!stopping_) {
    try {
      const auto now = floor<seconds>(system_clock::now());
      sync(now);
      fire(now);
    } catch (const std::exception& e) {
      log(std::string("cron: ") + e.what());
    }
    // Until the next fire time, and at least once a second: deploys and removals are followed.
    auto wait = duration_cast<milliseconds>(seconds(1));
    for (const auto& [key, e] : entries_)
      if (auto next = e.trigger.next_fire())
        wait = std::min(wait, std::max(milliseconds(0), duration_cast<milliseconds>(*next - system_clock::now())));
    timer_.expires_after(wait);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void CronRunner::sync(sys_seconds now) {
  std::set<Key> seen;
  for (const auto& [name, f] : core_.functions()) {
    for (const auto& cron : f->spec().cron) {
      Key key{name, cron.trigger()};
      seen.insert(key);
      auto it = entries_.find(key);
      if (it == entries_.end() || !(it->second.cron == cron)) add(key, cron, now);
    }
  }
  // A trigger gone (redeployed without it, or its function removed): no more fire times. A call
  // in flight finishes and is recorded.
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    log(label(it->first) + ": removed");
    it = entries_.erase(it);
  }
  resumed_ = true;
}

void CronRunner::add(const Key& key, const CronSpec& cron, sys_seconds now) {
  auto parsed = cron_schedule(cron);
  if (!parsed) {  // checked at deploy: only tzdata lost since
    if (!entries_.count(key)) log(label(key) + ": not scheduled: " + parsed.error().message);
    return;
  }
  std::map<schedule::RunId, Flight> flights;
  if (auto it = entries_.find(key); it != entries_.end()) {
    flights = std::move(it->second.flights);  // a changed trigger: its calls in flight go on
    entries_.erase(it);
  }
  std::vector<schedule::RunRecord> records;
  std::map<schedule::RunId, std::int64_t> rows;
  std::optional<sys_seconds> since;
  if (auto runs = registry_.cron_runs(key.first, kCronRunsKept)) {
    for (const auto& r : *runs) {
      if (r.trigger != key.second) continue;
      since = std::max(since.value_or(sys_seconds::min()), covered_until(r));
      if (!r.run) continue;
      const bool live = flights.count(static_cast<schedule::RunId>(*r.run)) > 0;
      const bool open = r.result == CronResult::running && !live;
      records.push_back({static_cast<schedule::RunId>(*r.run), floor<seconds>(r.scheduled),
                         open ? std::nullopt : std::optional<sys_seconds>(floor<seconds>(r.finished.value_or(r.scheduled)))});
      rows[static_cast<schedule::RunId>(*r.run)] = r.row;
    }
  } else {
    log(label(key) + ": cannot read its runs: " + runs.error().message);
  }
  // At daemon start fire times since the last record (or the deploy) were missed while it was
  // down; a trigger deployed now has missed nothing.
  if (!resumed_ && !since)
    if (auto record = registry_.get_function(key.first)) since = floor<seconds>(record->current.created_at);
  if (resumed_) since.reset();
  Entry e{cron, schedule::Trigger(std::move(*parsed), cron.concurrency, cron.catch_up), std::move(flights)};
  auto actions = e.trigger.resume(records, since, now);
  for (auto& a : actions)
    if (auto* abandon = std::get_if<action::AbandonRun>(&a)) {
      if (auto row = rows.find(abandon->id); row != rows.end())
        (void)registry_.finish_cron_run(row->second, system_clock::now(), CronResult::abandoned, std::nullopt,
                                        "in flight when the daemon stopped: the call was lost with it");
      metrics_.runs(key.first, to_string(CronResult::abandoned));
    }
  std::erase_if(actions, [](const schedule::Action& a) { return std::holds_alternative<action::AbandonRun>(a); });
  log(label(key) + ": scheduled \"" + cron.schedule + "\" (" + cron.timezone + ")" +
      (e.trigger.next_fire() ? ", next at " + e.trigger.schedule().zone().format(*e.trigger.next_fire()) : ""));
  entries_.emplace(key, std::move(e));
  carry_out(key, std::move(actions));
}

void CronRunner::fire(sys_seconds now) {
  for (auto& [key, e] : entries_)
    if (auto next = e.trigger.next_fire(); next && *next <= now) carry_out(key, e.trigger.tick(now));
}

void CronRunner::carry_out(const Key& key, std::vector<schedule::Action> actions) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  const auto& zone = e.trigger.schedule().zone();
  for (const auto& a : actions) {
    if (const auto* run = std::get_if<action::StartRun>(&a)) {
      start_run(key, e, *run);
    } else if (const auto* cancel = std::get_if<action::CancelRun>(&a)) {
      if (auto f = e.flights.find(cancel->id); f != e.flights.end()) f->second.cancel->emit(asio::cancellation_type::terminal);
    } else if (const auto* skip = std::get_if<action::SkipRun>(&a)) {
      const std::string why = skip->reason == action::SkipReason::still_running
                                  ? "the previous run was still in flight (concurrency = \"forbid\")"
                                  : "a later fire time had come too (the daemon was busy or the clock jumped)";
      const std::string text = std::to_string(skip->count) + " fire time" + (skip->count == 1 ? "" : "s") + " from " +
                               zone.format(skip->scheduled) + " skipped: " + why;
      log(label(key) + ": " + text);
      metrics_.runs(key.first, to_string(CronResult::skipped), skip->count);
      record({0, key.first, key.second, std::nullopt, skip->scheduled, std::nullopt, skip->scheduled,
              CronResult::skipped, std::nullopt, static_cast<std::int64_t>(skip->count), false, text});
    } else if (const auto* missed = std::get_if<action::MissedWhileDown>(&a)) {
      const std::string text =
          std::to_string(missed->count) + (missed->more ? "+" : "") + " fire time" + (missed->count == 1 ? "" : "s") +
          " from " + zone.format(missed->first) + " to " + zone.format(missed->last) + " passed while the daemon was down" +
          (missed->caught_up ? "; the last one runs now (catch_up = true)" : "; skipped (catch_up = true runs the last one at start-up)");
      log(label(key) + ": " + text);
      metrics_.runs(key.first, to_string(CronResult::missed), missed->count - (missed->caught_up ? 1 : 0));
      record({0, key.first, key.second, std::nullopt, missed->first, std::nullopt, missed->last, CronResult::missed,
              std::nullopt, static_cast<std::int64_t>(missed->count), missed->caught_up, text});
    }
  }
}

void CronRunner::record(CronRun run) {
  if (auto r = registry_.add_cron_run(run); !r) log("cron: cannot record a run of " + run.function + ": " + r.error().message);
}

void CronRunner::start_run(const Key& key, Entry& e, const action::StartRun& run) {
  const auto* f = core_.find(key.first);
  if (!f) return;
  const auto started = system_clock::now();
  const double late = seconds_between(run.scheduled, started);
  metrics_.lateness(late);
  CronRun rec{0, key.first, key.second, static_cast<std::int64_t>(run.id), run.scheduled, started, std::nullopt,
              CronResult::running, std::nullopt, 1, run.catch_up, ""};
  auto row = registry_.add_cron_run(rec);
  if (!row) log(label(key) + ": cannot record run " + std::to_string(run.id) + ": " + row.error().message);
  GatewayCall call;
  call.host = options_.gateway_host;
  call.port = options_.gateway_port;
  call.token = options_.token;
  call.function = key.first;
  call.cron = e.cron;
  call.upstream_timeout = e.cron.timeout.value_or(f->spec().http.timeout);
  // The wake counts against start_timeout, as for any request; the answer against the timeout.
  call.deadline = f->spec().health.start_timeout + call.upstream_timeout + seconds(10);
  auto cancel = std::make_shared<asio::cancellation_signal>();
  const std::int64_t row_id = row ? *row : 0;
  e.flights[run.id] = Flight{row_id, cancel};
  asio::co_spawn(ctl_, call_through_gateway(std::move(call)),
                 asio::bind_cancellation_slot(cancel->slot(), [this, key, id = run.id, row_id, started](
                                                                  std::exception_ptr ex, CallResult result) {
                   if (ex) {
                     result = CallResult{};
                     try {
                       std::rethrow_exception(ex);
                     } catch (const std::exception& x) {
                       result.detail = x.what();
                     }
                   }
                   run_ended(key, id, row_id, started, result);
                 }));
}

void CronRunner::run_ended(const Key& key, schedule::RunId id, std::int64_t row, WallTime started,
                           const CallResult& r) {
  const CronResult result = result_of(r, stopping_);
  const auto finished = system_clock::now();
  std::string detail = r.detail;
  if (result == CronResult::cancelled) detail = "replaced by a newer run (concurrency = \"replace\")";
  if (result == CronResult::abandoned) detail = "the daemon stopped during the call";
  if (row) {
    if (auto st = registry_.finish_cron_run(row, finished, result, r.status, detail); !st)
      log(label(key) + ": cannot record the end of run " + std::to_string(id) + ": " + st.error().message);
  }
  metrics_.runs(key.first, to_string(result));
  log(label(key) + ": run " + std::to_string(id) + " " + std::string(to_string(result)) +
      (r.status ? " (HTTP " + std::to_string(*r.status) + ")" : "") + " in " +
      std::to_string(seconds_between(started, finished)).substr(0, 5) + " s" + (detail.empty() ? "" : ": " + detail));
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.flights.erase(id);
    it->second.trigger.finished(id);
  }
}

nlohmann::json CronRunner::view(const std::string& function, std::size_t limit) const {
  const auto* f = core_.find(function);
  if (!f) return nullptr;
  nlohmann::json out{{"function", function}, {"triggers", nlohmann::json::array()}, {"runs", nlohmann::json::array()}};
  std::map<std::string, const schedule::TimeZone*> zones;
  for (const auto& cron : f->spec().cron) {
    nlohmann::json t{{"trigger", cron.trigger()}, {"schedule", cron.schedule}, {"timezone", cron.timezone},
                     {"method", cron.method}, {"path", cron.path},
                     {"concurrency", std::string(schedule::to_string(cron.concurrency))},
                     {"private", cron.private_path}, {"catch_up", cron.catch_up},
                     {"timeout_seconds", duration<double>(cron.timeout.value_or(f->spec().http.timeout)).count()},
                     {"next", nullptr}, {"in_flight", 0}};
    if (auto it = entries_.find({function, cron.trigger()}); it != entries_.end()) {
      const auto& zone = it->second.trigger.schedule().zone();
      zones[cron.trigger()] = &zone;
      if (auto next = it->second.trigger.next_fire()) t["next"] = instant(WallTime(*next), zone);
      t["in_flight"] = it->second.flights.size();
    }
    out["triggers"].push_back(std::move(t));
  }
  auto runs = registry_.cron_runs(function, limit);
  if (!runs) {
    out["error"] = runs.error().message;
    return out;
  }
  const auto utc = schedule::TimeZone::utc();
  for (const auto& r : *runs) {
    const auto z = zones.find(r.trigger);
    const auto& zone = z == zones.end() ? utc : *z->second;
    nlohmann::json j{{"trigger", r.trigger}, {"result", std::string(to_string(r.result))},
                     {"scheduled", instant(r.scheduled, zone)}, {"count", r.count}, {"catch_up", r.catch_up},
                     {"detail", r.detail}};
    j["run"] = r.run ? nlohmann::json(*r.run) : nlohmann::json(nullptr);
    j["status"] = r.status ? nlohmann::json(*r.status) : nlohmann::json(nullptr);
    j["started"] = instant(r.started, zone);
    j["lateness_seconds"] = r.started ? nlohmann::json(seconds_between(r.scheduled, *r.started)) : nlohmann::json(nullptr);
    j["duration_seconds"] =
        r.started && r.finished ? nlohmann::json(seconds_between(*r.started, *r.finished)) : nlohmann::json(nullptr);
    out["runs"].push_back(std::move(j));
  }
  return out;
}

}  // namespace svl::orchestrator
