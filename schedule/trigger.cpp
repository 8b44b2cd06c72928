#include "schedule/trigger.hpp"

#include <algorithm>

namespace svl::schedule {

using namespace std::chrono;

std::vector<Action> Trigger::resume(std::span<const RunRecord> records, std::optional<sys_seconds> since,
                                    sys_seconds now) {
  std::vector<Action> out;
  running_.clear();
  for (const RunRecord& r : records) {
    next_id_ = std::max(next_id_, r.id + 1);
    if (!r.finished) out.push_back(action::AbandonRun{r.id});
  }
  next_ = schedule_.next(since.value_or(now));
  if (!next_ || *next_ > now) return out;

  // Fire times in (since, now]: missed while down.
  action::MissedWhileDown missed{*next_, *next_, 0};
  for (auto t = next_; t && *t <= now; t = schedule_.next(*t)) {
    if (missed.count == kMaxCounted) {
      missed.more = true;
      break;
    }
    ++missed.count;
    missed.last = *t;
  }
  if (missed.more) missed.last = schedule_.prev(now).value_or(missed.last);
  missed.caught_up = catch_up_;
  out.push_back(missed);
  if (catch_up_) start(missed.last, now, true, out);
  next_ = schedule_.next(now);
  return out;
}

std::vector<Action> Trigger::tick(sys_seconds now) {
  std::vector<Action> out;
  if (!next_ || *next_ > now) return out;
  const sys_seconds latest = schedule_.prev(now).value_or(*next_);
  // Fire times older than the latest came while a tick was late: skipped, reported at once.
  if (*next_ < latest) {
    action::SkipRun late{*next_, action::SkipReason::late, 0};
    for (auto t = next_; t && *t < latest && late.count < kMaxCounted; t = schedule_.next(*t)) ++late.count;
    out.push_back(late);
  }
  start(latest, now, false, out);
  next_ = schedule_.next(now);
  return out;
}

void Trigger::start(sys_seconds scheduled, sys_seconds now, bool catch_up, std::vector<Action>& out) {
  if (!running_.empty()) {
    if (concurrency_ == Concurrency::forbid) {
      out.push_back(action::SkipRun{scheduled, action::SkipReason::still_running});
      return;
    }
    if (concurrency_ == Concurrency::replace) {
      for (RunId id : running_) out.push_back(action::CancelRun{id});
      running_.clear();  // cancelled: a later finished() for them changes nothing
    }
  }
  const RunId id = next_id_++;
  running_.push_back(id);
  out.push_back(action::StartRun{id, scheduled, duration_cast<seconds>(now - scheduled), catch_up});
}

void Trigger::finished(RunId id) { std::erase(running_, id); }

}  // namespace svl::schedule
