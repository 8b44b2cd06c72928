#include "gateway/dispatcher.hpp"

#include <algorithm>
#include <utility>

namespace svl::gateway {

namespace {
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

Dispatcher::Dispatcher(DispatchLimits limits, TimePoint now) : limits_(limits), last_(now) {}

void Dispatcher::advance(TimePoint now) {
  if (now <= last_) return;
  const double dt = seconds(now - last_);
  integral_ += dt * (inflight_ + held_.size());
  for (auto& r : replicas_) r.outstanding_integral += dt * r.outstanding;
  last_ = now;
}

ReplicaState* Dispatcher::find(std::string_view id) {
  for (auto& r : replicas_)
    if (r.id == id) return &r;
  return nullptr;
}

ReplicaState* Dispatcher::pick(std::string_view excluded) {
  ReplicaState* best = nullptr;
  const std::size_t n = replicas_.size();
  for (std::size_t k = 0; k < n; ++k) {
    auto& r = replicas_[(rotate_ + k) % n];
    if (r.draining || r.id == excluded) continue;
    if (limits_.container_concurrency != 0 && r.outstanding >= limits_.container_concurrency) continue;
    if (!best || r.outstanding < best->outstanding) best = &r;
  }
  if (best) ++rotate_;
  return best;
}

void Dispatcher::start(Token t, ReplicaState& r, TimePoint deadline, Actions& out) {
  dispatched_deadline_[t] = deadline;
  ++r.outstanding;
  ++r.requests_total;
  ++inflight_;
  ++requests_total_;
  out.push_back({Action::Kind::dispatch, t, r.id, 0});
}

void Dispatcher::hold(Held h, bool front, Actions& out) {
  const Token t = h.token;
  if (front)
    held_.push_front(std::move(h));
  else
    held_.push_back(std::move(h));
  out.push_back({Action::Kind::hold, t, {}, held_.size()});
  out.push_back({Action::Kind::capacity_needed, 0, {}, held_.size()});
}

void Dispatcher::set_limits(DispatchLimits limits, TimePoint now, Actions& out) {
  advance(now);
  limits_ = limits;
  release_held(now, out);
}

void Dispatcher::request_arrived(Token t, TimePoint now, Actions& out) {
  advance(now);
  // FIFO: nobody overtakes requests that are already waiting.
  if (held_.empty()) {
    if (auto* r = pick({})) {
      start(t, *r, now + limits_.start_timeout, out);
      return;
    }
  }
  if (held_.size() >= limits_.max_queue) {
    out.push_back({Action::Kind::reject_queue_full, t, {}, held_.size()});
    return;
  }
  hold({t, now + limits_.start_timeout, {}}, false, out);
}

void Dispatcher::report_if_drained(ReplicaState& r, Actions& out) {
  if (r.draining && r.outstanding == 0 && !r.drained_reported) {
    r.drained_reported = true;
    out.push_back({Action::Kind::replica_drained, 0, r.id, 0});
  }
}

void Dispatcher::request_finished(Token t, std::string_view replica, TimePoint now, Actions& out) {
  advance(now);
  dispatched_deadline_.erase(t);
  if (inflight_ > 0) --inflight_;
  last_request_end_ = now;
  if (auto* r = find(replica)) {
    if (r->outstanding > 0) --r->outstanding;
    r->last_request_end = now;
    report_if_drained(*r, out);
  }
  release_held(now, out);
}

void Dispatcher::connect_failed(Token t, std::string_view replica, TimePoint now, Actions& out) {
  advance(now);
  if (inflight_ > 0) --inflight_;
  if (requests_total_ > 0) --requests_total_;  // it never reached a replica
  std::string excluded(replica);
  if (auto* r = find(replica)) {
    if (r->outstanding > 0) --r->outstanding;
    if (r->requests_total > 0) --r->requests_total;
    report_if_drained(*r, out);
  }
  // It keeps the deadline it was admitted with: a refused connection does not buy more time.
  auto d = dispatched_deadline_.find(t);
  const TimePoint deadline = d != dispatched_deadline_.end() ? d->second : now + limits_.start_timeout;
  if (d != dispatched_deadline_.end()) dispatched_deadline_.erase(d);
  // It was admitted before anyone now waiting, so it goes first: retry elsewhere or wait again.
  if (auto* other = pick(excluded)) {
    start(t, *other, deadline, out);
    return;
  }
  if (deadline <= now) {
    out.push_back({Action::Kind::fail_timeout, t, {}, 0});
    return;
  }
  hold({t, deadline, std::move(excluded)}, true, out);
}

void Dispatcher::request_cancelled(Token t, TimePoint now, Actions&) {
  advance(now);
  auto it = std::find_if(held_.begin(), held_.end(), [t](const Held& h) { return h.token == t; });
  if (it != held_.end()) held_.erase(it);
}

void Dispatcher::release_held(TimePoint, Actions& out) {
  // In order; a request that cannot go anywhere (it excluded the only free replica) does not
  // block the ones behind it.
  for (auto it = held_.begin(); it != held_.end();) {
    auto* r = pick(it->excluded);
    if (!r) {
      if (!pick({})) break;  // no room anywhere: stop scanning
      ++it;
      continue;
    }
    const Token t = it->token;
    const TimePoint deadline = it->deadline;
    it = held_.erase(it);
    start(t, *r, deadline, out);
  }
}

void Dispatcher::replica_added(std::string id, TimePoint now, Actions& out) {
  advance(now);
  if (auto* r = find(id)) {
    r->draining = false;  // re-added: ready again
    r->drained_reported = false;
  } else {
    ReplicaState fresh;
    fresh.id = std::move(id);
    replicas_.push_back(std::move(fresh));
  }
  for (auto& h : held_) h.excluded.clear();  // new capacity: everybody may try anything again
  release_held(now, out);
}

void Dispatcher::replica_draining(std::string_view id, TimePoint now, Actions& out) {
  advance(now);
  if (auto* r = find(id)) {
    r->draining = true;
    report_if_drained(*r, out);
  }
}

void Dispatcher::replica_removed(std::string_view id, TimePoint now, Actions& out) {
  advance(now);
  auto it = std::find_if(replicas_.begin(), replicas_.end(), [&](const ReplicaState& r) { return r.id == id; });
  if (it == replicas_.end()) return;
  replicas_.erase(it);
  // Requests still running on it finish normally (request_finished tolerates an unknown id).
  if (!held_.empty() && !pick({})) out.push_back({Action::Kind::capacity_needed, 0, {}, held_.size()});
}

void Dispatcher::tick(TimePoint now, Actions& out) {
  advance(now);
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->deadline <= now) {
      out.push_back({Action::Kind::fail_timeout, it->token, {}, 0});
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

void Dispatcher::fail_held(TimePoint now, Actions& out) {
  advance(now);
  for (auto& h : held_) out.push_back({Action::Kind::fail_held, h.token, {}, 0});
  held_.clear();
}

std::optional<TimePoint> Dispatcher::next_deadline() const {
  std::optional<TimePoint> next;
  for (auto& h : held_)
    if (!next || h.deadline < *next) next = h.deadline;
  return next;
}

bool Dispatcher::is_held(Token t) const {
  return std::any_of(held_.begin(), held_.end(), [t](const Held& h) { return h.token == t; });
}

DispatcherLoad Dispatcher::load(TimePoint now) const {
  DispatcherLoad l;
  l.inflight = inflight_;
  l.queued = static_cast<std::uint32_t>(held_.size());
  l.requests_total = requests_total_;
  l.last_request_end = last_request_end_;
  const double dt = now > last_ ? seconds(now - last_) : 0.0;
  l.concurrency_integral = integral_ + dt * (inflight_ + held_.size());
  l.replicas = replicas_;
  for (auto& r : l.replicas) r.outstanding_integral += dt * r.outstanding;
  return l;
}

}  // namespace svl::gateway
