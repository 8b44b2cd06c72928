#pragma once
// What the gateway's socket tests share: a bounded poll, a listener and an observer that record
// what the gateway told them.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/gateway.hpp"

namespace svl::gateway::test {

// Polls until `pred` holds or `limit` passes (I/O happening elsewhere, never a fixed sleep).
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

struct RecordingListener : Listener {
  std::mutex mu;
  std::atomic<int> capacity_calls{0};
  std::vector<std::string> drained;
  std::vector<std::string> unreachable;
  std::function<void(const std::string&, std::size_t)> on_capacity;
  void on_capacity_needed(const std::string& f, std::size_t q) override {
    ++capacity_calls;
    if (on_capacity) on_capacity(f, q);
  }
  void on_replica_drained(const std::string&, const std::string& id) override {
    std::lock_guard l(mu);
    drained.push_back(id);
  }
  void on_replica_unreachable(const std::string&, const std::string& id) override {
    std::lock_guard l(mu);
    unreachable.push_back(id);
  }
  std::size_t unreachable_count() {
    std::lock_guard l(mu);
    return unreachable.size();
  }
};

struct CountingObserver : Observer {
  std::mutex mu;
  std::map<std::string, int> rejected;  // reason -> count
  std::map<unsigned, int> statuses;
  std::map<std::string, int> done;      // function -> answered requests
  void on_request_done(const std::string& fn, unsigned status, double, double) override {
    std::lock_guard l(mu);
    ++statuses[status];
    ++done[fn];
  }
  void on_rejected(const std::string&, std::string_view reason) override {
    std::lock_guard l(mu);
    ++rejected[std::string(reason)];
  }
  std::map<std::string, int> handshakes;  // result -> count
  void on_tls_handshake(std::string_view result, double) override {
    std::lock_guard l(mu);
    ++handshakes[std::string(result)];
  }
  int handshake_count(const std::string& result) {
    std::lock_guard l(mu);
    return handshakes[result];
  }
  int rejections(const std::string& r) {
    std::lock_guard l(mu);
    return rejected[r];
  }
  int done_for(const std::string& fn) {
    std::lock_guard l(mu);
    return done[fn];
  }
};

}  // namespace svl::gateway::test
