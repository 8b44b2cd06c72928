#include "orchestrator/docker/event_watcher.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace svl::docker {
namespace {

// "seconds.nanoseconds", the form Docker's `since` accepts.
std::string docker_timestamp(std::int64_t time_nano) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(time_nano / 1'000'000'000),
                static_cast<long long>(time_nano % 1'000'000'000));
  return buf;
}

std::int64_t wall_clock_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct EventWatcher::Impl {
  EventWatcherOptions options;
  EventHandler on_event;
  ConnectedHandler on_connected;
  DisconnectedHandler on_disconnected;
  std::atomic<std::uint64_t> reconnects{0};
  std::mutex mutex;
  std::condition_variable_any wake;
  std::jthread thread;  // last member: starts after the rest exists, joins first

  // Where to resume: events at or before it have been delivered (the last one's id/action noted,
  // since `since` replays events of that same nanosecond too).
  std::int64_t resume_nano = 0;
  std::string last_id, last_action;

  void run(std::stop_token stop) {
    Client client(options.client);
    auto backoff = options.initial_backoff;
    bool connected_before = false;
    resume_nano = wall_clock_nanos();
    while (!stop.stop_requested()) {
      auto ping = client.ping();
      if (ping) {
        if (on_connected) on_connected(connected_before);
        if (connected_before) ++reconnects;
        connected_before = true;
        EventFilter filter = options.filter;
        filter.since = docker_timestamp(resume_nano);
        bool delivered = false;
        auto result = client.events(filter, [&](const Event& e) {
          if (e.time_nano < resume_nano ||
              (e.time_nano == resume_nano && e.id == last_id && e.action_text == last_action))
            return true;  // replayed by `since`: already delivered
          resume_nano = e.time_nano;
          last_id = e.id;
          last_action = e.action_text;
          delivered = true;
          on_event(e);
          return true;
        }, stop);
        if (stop.stop_requested()) break;
        if (delivered) backoff = options.initial_backoff;
        if (!result && on_disconnected) on_disconnected(result.error());
      } else if (on_disconnected) {
        on_disconnected(ping.error());
      }
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, backoff, [] { return false; });
      backoff = std::min(backoff * 2, options.max_backoff);
    }
  }
};

EventWatcher::EventWatcher(EventWatcherOptions options, EventHandler on_event, ConnectedHandler on_connected,
                           DisconnectedHandler on_disconnected)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->on_event = std::move(on_event);
  impl_->on_connected = std::move(on_connected);
  impl_->on_disconnected = std::move(on_disconnected);
  impl_->thread = std::jthread([impl = impl_.get()](std::stop_token stop) { impl->run(stop); });
}

EventWatcher::~EventWatcher() { stop(); }

void EventWatcher::stop() {
  impl_->thread.request_stop();
  if (impl_->thread.joinable() && impl_->thread.get_id() != std::this_thread::get_id()) impl_->thread.join();
}

std::uint64_t EventWatcher::reconnects() const noexcept { return impl_->reconnects.load(); }

}  // namespace svl::docker
