#include "orchestrator/control/function_core.hpp"

// What comes back to a function: the outcome of each step it asked for, and the runtime's
// events about its containers (exits, OOM kills). Failures of the function count toward a
// crash loop; failures of the runtime put the slot back where it was.
#include <algorithm>

namespace svl::control {

void FunctionCore::outcome(OpKind kind, const Outcome& o, Context& c) {
  if (kind == OpKind::read_logs) {  // belongs to the failure, not to an attempt on the slot
    failure_.logs = o.text;
    if (failure_.logs_pending > 0) --failure_.logs_pending;
    return;
  }
  Slot* sp = replicas_.find_slot(o.op.slot);
  if (!sp || sp->generation != o.op.generation) {  // stale: a newer operation owns the slot
    // What a stale create made belongs to nobody: remove it, or it would outlive everything.
    if ((kind == OpKind::create_replica || kind == OpKind::create_sandbox) && o.ok() && !o.id.empty())
      c.out.push_back(step::Remove{Op{}, {o.id}});
    return;
  }
  Slot& s = *sp;
  s.busy = false;
  const bool down = o.fault == Fault::unavailable;
  switch (kind) {
    case OpKind::create_sandbox:
      if (!o.ok()) {
        const int index = s.index;
        replicas_.erase_slot(index);
        failure_.message = "could not create the network sandbox for " + name() + ": " + o.message;
        failure_.at = c.now;
        failure_.current = true;
        c.out.push_back(step::NotReady{name(), failure_.message});
        if (down) c.out.push_back(step::FailHeld{name(), step::HeldFailure::runtime_unavailable, "function " + name() + " cannot be woken: Docker is unavailable (" + o.message + ")"});
        return;
      }
      s.sandbox = SandboxState::ready;
      s.sandbox_id = o.id;
      s.reach = o.reach;
      if (s.waking) advance_wake(s, c);
      return;
    case OpKind::create_replica:
      if (!o.ok()) {
        s.phase = Phase::removed;
        if (down) return runtime_down(s, Phase::removed, o.message, c);
        return replica_failed(s, "could not create the replica: " + o.message, c);
      }
      s.replica_id = o.id;
      s.phase = Phase::stopped;
      return advance_wake(s, c);
    case OpKind::start:
      if (!o.ok()) {
        if (down) return runtime_down(s, Phase::stopped, o.message, c);
        if (o.fault == Fault::not_found) return replica_gone(s, c);
        if (s.prewarm) return idle_move_done(s, Phase::stopped, c);
        return replica_failed(s, "could not start the replica: " + o.message, c);
      }
      c.out.push_back(step::Probe{begin_op(s), endpoint(s), config_.spec.health.path,
                                  (s.prewarm ? c.now : s.wake_started) + config_.spec.health.start_timeout});
      return;
    case OpKind::unpause:
      if (!o.ok()) {
        if (down) return runtime_down(s, Phase::paused, o.message, c);
        return replica_failed(s, "could not unpause the replica: " + o.message, c);
      }
      return became_ready(s, c);
    case OpKind::probe:
      if (s.phase != Phase::starting) return;
      if (s.prewarm) {
        if (!o.ok()) return move_idle(s, Tier::stopped, c);
        s.phase = Phase::pausing;
        c.out.push_back(step::Pause{begin_op(s), s.replica_id});
        return;
      }
      if (!o.ok())
        return replica_failed(s, "the replica did not answer " + config_.spec.health.path + " within " +
                                     std::to_string(config_.spec.health.start_timeout.count()) + " ms",
                              c);
      return became_ready(s, c);
    case OpKind::pause:
      if (!o.ok()) {  // still running, out of the gateway: stop it rather than leave it half-idle
        if (down) return idle_move_done(s, Phase::ready, c);
        return move_idle(s, Tier::stopped, c);
      }
      s.prewarm = false;
      s.waking = false;
      return idle_move_done(s, Phase::paused, c);
    case OpKind::stop:
      return idle_move_done(s, o.ok() ? Phase::stopped : rest_before_[s.index], c);
    case OpKind::kill:
      if (!o.ok() && o.fault != Fault::conflict && o.fault != Fault::not_found) {
        if (down) return runtime_down(s, Phase::stopping, o.message, c);
        return replica_failed(s, "could not kill the stopping replica: " + o.message, c);
      }
      s.phase = Phase::stopped;
      if (s.waking) return advance_wake(s, c);
      return idle_move_done(s, Phase::stopped, c);
    case OpKind::remove_replica:
      if (o.ok() || o.fault == Fault::not_found) s.replica_id.clear();
      return idle_move_done(s, o.ok() || o.fault == Fault::not_found ? Phase::removed : rest_before_[s.index], c);
    case OpKind::remove_slot:
      // Gone, or still there and tried again at the next tick (the slot stays out of use).
      if (o.ok() || o.fault == Fault::not_found) {
        rest_before_.erase(s.index);
        replicas_.erase_slot(s.index);
      }
      return;
    case OpKind::read_logs:
      return;  // handled above
  }
}

// The runtime itself failed, not the function: the slot goes back to where it was, nothing
// counts toward a crash loop, and held requests hear that Docker is unavailable.
void FunctionCore::runtime_down(Slot& s, Phase back, const std::string& message, Context& c) {
  s.phase = back;
  s.waking = false;
  s.busy = false;
  if (back == Phase::removed && s.sandbox != SandboxState::ready) replicas_.erase_slot(s.index);
  c.out.push_back(step::FailHeld{name(), step::HeldFailure::runtime_unavailable, "function " + name() + " cannot be woken: Docker is unavailable (" + message + ")"});
}

// The replica's container was removed behind our back (or is being removed): the slot is empty.
// Not a crash, so nothing counts toward a backoff; a wake under way creates a new replica.
void FunctionCore::replica_gone(Slot& s, Context& c) {
  c.out.push_back(step::Log{"replica " + s.replica_id + " of " + name() + " slot " + std::to_string(s.index) +
                            " was removed outside svl (phase " + to_string(s.phase) + ")"});
  if (s.phase == Phase::ready || s.phase == Phase::draining) c.out.push_back(step::Unserve{name(), s.replica_id});
  s.replica_id.clear();
  s.phase = Phase::removed;
  s.phase_since = c.now;
  s.busy = false;
  ++s.generation;  // an operation in flight on the old container is stale
  if (s.waking && !s.prewarm) return advance_wake(s, c);
  s.waking = false;
  s.prewarm = false;
}

void FunctionCore::replica_failed(Slot& s, std::string reason, Context& c) {
  const bool was_ready = s.phase == Phase::ready || s.phase == Phase::draining;
  if (!s.replica_id.empty()) c.out.push_back(step::Unserve{name(), s.replica_id});
  s.phase = s.replica_id.empty() ? Phase::removed : Phase::stopped;
  s.phase_since = c.now;
  s.busy = false;
  s.waking = false;
  s.prewarm = false;
  ++s.generation;  // whatever was in flight on this attempt is stale now
  failure_.message = was_ready ? "a replica of " + name() + " (revision " + std::to_string(s.revision) + ") failed: " + reason
                               : "function " + name() + " (revision " + std::to_string(s.revision) +
                                     ") did not become ready: " + reason;
  failure_.at = c.now;
  failure_.current = true;
  failure_.revision = s.revision;
  c.out.push_back(step::Log{failure_.message});
  c.out.push_back(step::NotReady{name(), failure_.message});
  if (!s.replica_id.empty()) {
    ++failure_.logs_pending;
    // Logs are read outside the slot's generation: they belong to the failure, not the attempt.
    c.out.push_back(step::ReadLogs{Op{name(), epoch_, s.index, 0}, s.replica_id, 20});
  }
  // A revision that never served falls back to the one that did.
  if (s.revision == revision() && proven_revision_ != 0 && proven_revision_ != revision() && !was_ready) {
    c.out.push_back(step::RollBack{name(), proven_revision_});
    crash_.reset();
    return;
  }
  if (auto backoff = crash_.failed(c.now)) {
    failure_.message += " (failed " + std::to_string(crash_.failures()) + " times in a row; next try in " +
                        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(*backoff).count()) + " ms)";
    c.out.push_back(step::FailHeld{name(), step::HeldFailure::crash_loop, failure_.message});
    c.out.push_back(step::Timer{name(), crash_.until()});
  } else if (c.load.queued > 0 || desired_ > 0) {
    // Try again at once: a single crash should not fail a held request.
    scale_to(std::max<std::uint32_t>(desired_, 1), "retry_after_failure", c);
  }
}

void FunctionCore::event(const RuntimeEvent& e, Context& c) {
  Slot* s = replicas_.find_by_container(e.id);
  if (!s) return;
  if (e.kind == RuntimeEvent::Kind::oom) {
    s->oom_killed = true;  // its exit follows
    return;
  }
  if (e.id == s->sandbox_id) {
    if (s->sandbox == SandboxState::removing) return;  // our own removal
    // The namespace is gone: the slot is unusable, and its replica with it.
    c.out.push_back(step::Log{"sandbox of " + name() + " slot " + std::to_string(s->index) + " exited; recreating on demand"});
    if (!s->replica_id.empty()) c.out.push_back(step::Unserve{name(), s->replica_id});
    const bool was_waking = s->waking && !s->prewarm;
    s->sandbox = SandboxState::removing;
    s->waking = false;
    remove_slot(*s, c);
    if (was_waking || c.load.queued > 0) scale_to(std::max<std::uint32_t>(desired_, 1), "sandbox_lost", c);
    return;
  }
  if (e.kind == RuntimeEvent::Kind::destroyed) {
    // Not our own removal (of the replica, or of its whole slot).
    if (s->phase != Phase::removing && s->sandbox != SandboxState::removing) replica_gone(*s, c);
    return;
  }
  switch (s->phase) {
    case Phase::starting:
    case Phase::ready:
    case Phase::draining: {
      std::string reason = "container exited with code " + std::to_string(e.exit_code);
      if (s->oom_killed)
        reason += " (out of memory: over its limit of " + std::to_string(config_.spec.resources.memory_bytes >> 20) + " MiB)";
      s->oom_killed = false;
      replica_failed(*s, reason, c);
      return;
    }
    case Phase::stopping:
      // Our stop ended: the replica is stopped now, whatever the stop call says later.
      ++s->generation;
      idle_move_done(*s, Phase::stopped, c);
      return;
    default:
      return;  // an exit we asked for (kill, remove)
  }
}

}  // namespace svl::control
