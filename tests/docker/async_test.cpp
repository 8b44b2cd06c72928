// AsyncClient (worker pool), async_call (completion on an Asio executor) and EventWatcher.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>

#include "orchestrator/docker/async_asio.hpp"
#include "orchestrator/docker/async_client.hpp"
#include "orchestrator/docker/event_watcher.hpp"
#include "tests/docker/fake_docker_server.hpp"

using namespace svl::docker;
using svl::docker::testing::FakeDockerServer;
using svl::docker::testing::FakeReply;
using svl::docker::testing::RecordedRequest;

namespace {

std::optional<FakeReply> empty_list(const RecordedRequest& r) {
  if (r.path().ends_with("/containers/json")) return FakeReply::json(200, "[]");
  return std::nullopt;
}

}  // namespace

TEST_CASE("AsyncClient runs jobs on its workers, each with its own connection") {
  FakeDockerServer server(empty_list);
  ClientOptions o;
  o.host = server.host();
  std::mutex mutex;
  std::condition_variable cv;
  int done = 0;
  std::set<std::thread::id> threads;
  {
    AsyncClient pool(o, 2);
    CHECK(pool.workers() == 2);
    for (int i = 0; i < 8; ++i) {
      REQUIRE(pool.submit([&](Client& c) {
        auto r = c.list_containers();
        std::lock_guard lock(mutex);
        CHECK(r.ok());
        threads.insert(std::this_thread::get_id());
        ++done;
        cv.notify_all();
      }));
    }
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == 8; }));
  }
  CHECK(threads.count(std::this_thread::get_id()) == 0);
  CHECK(server.connections() <= 2);  // one kept-alive connection per worker at most
}

TEST_CASE("AsyncClient refuses jobs after shutdown and finishes the queued ones") {
  FakeDockerServer server(empty_list);
  ClientOptions o;
  o.host = server.host();
  std::atomic<int> ran{0};
  AsyncClient pool(o, 1);
  for (int i = 0; i < 4; ++i) REQUIRE(pool.submit([&](Client&) { ++ran; }));
  pool.shutdown();
  CHECK(ran == 4);
  CHECK_FALSE(pool.submit([&](Client&) { ++ran; }));
}

TEST_CASE("a call that throws on a worker still completes, with an error (its awaiting coroutine is not left hanging)") {
  AsyncClient pool(ClientOptions{}, 1);
  boost::asio::io_context ioc;
  std::optional<Result<PingInfo>> got;
  async_call(pool, [](Client&) -> Result<PingInfo> { throw std::runtime_error("boom"); },
             boost::asio::bind_executor(ioc, [&](Result<PingInfo> r) { got.emplace(std::move(r)); }));
  ioc.run_for(std::chrono::seconds(10));
  REQUIRE(got);
  REQUIRE_FALSE(got->ok());
  CHECK(got->error().message.find("boom") != std::string::npos);
}

TEST_CASE("async_call completes on the caller's executor") {
  FakeDockerServer server(empty_list);
  ClientOptions o;
  o.host = server.host();
  AsyncClient pool(o, 2);
  boost::asio::io_context ioc;
  std::thread::id handler_thread;
  bool bound = false;
  async_call(pool, [](Client& c) { return c.ping(); },
             boost::asio::bind_executor(ioc, [&](Result<PingInfo> r) {
               CHECK(r.ok());
               bound = true;
               handler_thread = std::this_thread::get_id();
             }));
  ioc.run_for(std::chrono::seconds(10));  // the work guard keeps run() alive until the handler ran
  CHECK(bound);
  CHECK(handler_thread == std::this_thread::get_id());
}

TEST_CASE("EventWatcher reconnects, resumes with since= and drops replayed events") {
  const std::string e1 = R"({"Type":"container","Action":"start","Actor":{"ID":"a","Attributes":{}},"timeNano":4102444800000000001})";
  const std::string e2 = R"({"Type":"container","Action":"die","Actor":{"ID":"a","Attributes":{"exitCode":"0"}},"timeNano":4102444800000000002})";
  std::atomic<int> connection{0};
  FakeDockerServer server([&](const RecordedRequest& r) -> std::optional<FakeReply> {
    if (!r.path().ends_with("/events")) return std::nullopt;
    FakeReply reply;
    if (++connection == 1) {
      reply.chunks = {e1 + "\n"};
      reply.cut_stream = true;  // the daemon restarts
    } else {
      reply.chunks = {e1 + "\n" + e2 + "\n"};  // `since` replays the last one seen
      reply.hang_after_chunks = true;
    }
    return reply;
  });
  EventWatcherOptions o;
  o.client.host = server.host();
  o.filter.labels = {"svl.test=x"};
  o.initial_backoff = std::chrono::milliseconds(5);
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Event> events;
  std::vector<bool> connects;
  int disconnects = 0;
  {
    EventWatcher watcher(
        o,
        [&](const Event& e) {
          std::lock_guard lock(mutex);
          events.push_back(e);
          cv.notify_all();
        },
        [&](bool reconnect) {
          std::lock_guard lock(mutex);
          connects.push_back(reconnect);
        },
        [&](const Error&) {
          std::lock_guard lock(mutex);
          ++disconnects;
        });
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return events.size() >= 2; }));
    lock.unlock();
    const auto stop_start = std::chrono::steady_clock::now();
    watcher.stop();
    CHECK(std::chrono::steady_clock::now() - stop_start < std::chrono::seconds(1));
    CHECK(watcher.reconnects() == 1);
  }
  REQUIRE(events.size() == 2);
  CHECK(events[0].action == EventAction::start);
  CHECK(events[1].action == EventAction::die);
  CHECK(connects == std::vector<bool>{false, true});
  CHECK(disconnects == 1);
  std::vector<std::string> event_targets;
  for (const auto& r : server.requests())
    if (r.path().ends_with("/events")) event_targets.push_back(r.target);
  REQUIRE(event_targets.size() == 2);
  CHECK(event_targets[1].find("since=4102444800.000000001") != std::string::npos);
}
