// The dispatch/hold state machine with canned events and a ManualClock: no sockets, no sleeping.
#include <doctest/doctest.h>

#include "common/clock.hpp"
#include "gateway/dispatcher.hpp"

using namespace svl;
using namespace svl::gateway;
using namespace std::chrono_literals;
using K = Action::Kind;

namespace {

std::vector<Token> tokens_of(const Actions& a, K kind) {
  std::vector<Token> t;
  for (auto& x : a)
    if (x.kind == kind) t.push_back(x.token);
  return t;
}

std::string replica_of(const Actions& a, Token t) {
  for (auto& x : a)
    if (x.kind == K::dispatch && x.token == t) return x.replica;
  return {};
}

bool has(const Actions& a, K kind) {
  for (auto& x : a)
    if (x.kind == kind) return true;
  return false;
}

}  // namespace

TEST_CASE("a function at zero holds requests, asks for capacity at once, releases them in order") {
  ManualClock clock;
  Dispatcher d({0, 1000, 30s}, clock.now());
  Actions out;
  for (Token t = 1; t <= 3; ++t) d.request_arrived(t, clock.now(), out);
  CHECK(tokens_of(out, K::hold) == std::vector<Token>{1, 2, 3});
  CHECK(has(out, K::capacity_needed));
  CHECK(out.back().queued == 3);
  CHECK(d.queued() == 3);
  out.clear();
  clock.advance(2s);
  d.replica_added("r1", clock.now(), out);
  CHECK(tokens_of(out, K::dispatch) == std::vector<Token>{1, 2, 3});
  CHECK(d.queued() == 0);
  CHECK(d.inflight() == 3);
}

TEST_CASE("container_concurrency caps each replica, held requests go as capacity frees, in order") {
  ManualClock clock;
  Dispatcher d({1, 1000, 30s}, clock.now());
  Actions out;
  d.replica_added("r1", clock.now(), out);
  for (Token t = 1; t <= 3; ++t) d.request_arrived(t, clock.now(), out);
  CHECK(tokens_of(out, K::dispatch) == std::vector<Token>{1});
  CHECK(tokens_of(out, K::hold) == std::vector<Token>{2, 3});
  out.clear();
  d.request_finished(1, "r1", clock.now(), out);
  CHECK(tokens_of(out, K::dispatch) == std::vector<Token>{2});
  out.clear();
  // a newcomer does not overtake the waiting request 3
  d.request_arrived(4, clock.now(), out);
  CHECK(tokens_of(out, K::hold) == std::vector<Token>{4});
  out.clear();
  d.request_finished(2, "r1", clock.now(), out);
  CHECK(tokens_of(out, K::dispatch) == std::vector<Token>{3});
}

TEST_CASE("least outstanding requests wins") {
  ManualClock clock;
  Dispatcher d({0, 1000, 30s}, clock.now());
  Actions out;
  d.replica_added("a", clock.now(), out);
  d.replica_added("b", clock.now(), out);
  d.request_arrived(1, clock.now(), out);
  d.request_arrived(2, clock.now(), out);
  const auto busy = replica_of(out, 1), other = replica_of(out, 2);
  CHECK(busy != other);
  out.clear();
  d.request_finished(2, other, clock.now(), out);
  // `busy` still has one outstanding: the next ones go to `other` while they are quick
  for (Token t = 3; t <= 5; ++t) {
    out.clear();
    d.request_arrived(t, clock.now(), out);
    CHECK(replica_of(out, t) == other);
    d.request_finished(t, other, clock.now(), out);
  }
}

TEST_CASE("a draining replica gets nothing new and reports drained when its last request ends") {
  ManualClock clock;
  Dispatcher d({0, 1000, 30s}, clock.now());
  Actions out;
  d.replica_added("a", clock.now(), out);
  d.request_arrived(1, clock.now(), out);
  out.clear();
  d.replica_draining("a", clock.now(), out);
  CHECK(out.empty());
  d.request_arrived(2, clock.now(), out);
  CHECK(tokens_of(out, K::hold) == std::vector<Token>{2});  // held, not lost
  out.clear();
  d.request_finished(1, "a", clock.now(), out);
  REQUIRE(has(out, K::replica_drained));
  CHECK(out[0].replica == "a");
  out.clear();
  d.replica_added("b", clock.now(), out);
  CHECK(replica_of(out, 2) == "b");
}

TEST_CASE("draining an idle replica reports drained at once, once") {
  ManualClock clock;
  Dispatcher d({0, 1000, 30s}, clock.now());
  Actions out;
  d.replica_added("a", clock.now(), out);
  d.replica_draining("a", clock.now(), out);
  CHECK(out.size() == 1);
  CHECK(out[0].kind == K::replica_drained);
  out.clear();
  d.replica_draining("a", clock.now(), out);
  CHECK(out.empty());
}

TEST_CASE("a refused connection retries on another replica, or holds the request again first in line") {
  ManualClock clock;
  Dispatcher d({0, 1000, 30s}, clock.now());
  Actions out;
  d.replica_added("a", clock.now(), out);
  d.replica_added("b", clock.now(), out);
  d.request_arrived(1, clock.now(), out);
  const auto first = replica_of(out, 1);
  out.clear();
  d.connect_failed(1, first, clock.now(), out);
  REQUIRE(tokens_of(out, K::dispatch) == std::vector<Token>{1});
  const auto second = replica_of(out, 1);
  CHECK(second != first);
  out.clear();
  d.connect_failed(1, second, clock.now(), out);
  // the other one refused too... but `first` is not excluded any more for this try: only the last
  // refusing replica is. It goes back to `first`.
  CHECK(replica_of(out, 1) == first);
  out.clear();
  // With a single replica that refuses: held again (never an error), ahead of later requests.
  Dispatcher one({0, 1000, 30s}, clock.now());
  one.replica_added("a", clock.now(), out);
  one.request_arrived(1, clock.now(), out);
  out.clear();
  one.connect_failed(1, "a", clock.now(), out);
  CHECK(tokens_of(out, K::hold) == std::vector<Token>{1});
  CHECK(!has(out, K::fail_timeout));
  CHECK(one.inflight() == 0);
  out.clear();
  one.replica_added("a2", clock.now(), out);
  CHECK(replica_of(out, 1) == "a2");
}

TEST_CASE("a request held again after a refused connection keeps the deadline it was admitted with") {
  ManualClock clock;
  Dispatcher d({0, 1000, 2s}, clock.now());
  Actions out;
  d.request_arrived(1, clock.now(), out);  // held at zero
  clock.advance(1500ms);
  d.replica_added("a", clock.now(), out);  // released
  REQUIRE(replica_of(out, 1) == "a");
  out.clear();
  clock.advance(100ms);
  d.connect_failed(1, "a", clock.now(), out);  // held again
  REQUIRE(d.next_deadline());
  CHECK(*d.next_deadline() == TimePoint{} + 2s);  // not 1.6 s + 2 s
  clock.advance(400ms);
  out.clear();
  d.tick(clock.now(), out);
  CHECK(tokens_of(out, K::fail_timeout) == std::vector<Token>{1});
  // Refused once its deadline has passed: answered at once, never held again.
  Dispatcher one({0, 1000, 2s}, clock.now());
  one.replica_added("b", clock.now(), out);
  one.request_arrived(2, clock.now(), out);
  REQUIRE(replica_of(out, 2) == "b");
  clock.advance(3s);
  out.clear();
  one.replica_removed("b", clock.now(), out);
  one.connect_failed(2, "b", clock.now(), out);
  CHECK(tokens_of(out, K::fail_timeout) == std::vector<Token>{2});
  CHECK(!one.is_held(2));
}

TEST_CASE("held requests time out after start_timeout, not before") {
  ManualClock clock;
  Dispatcher d({0, 1000, 30s}, clock.now());
  Actions out;
  d.request_arrived(1, clock.now(), out);
  clock.advance(10s);
  d.request_arrived(2, clock.now(), out);
  out.clear();
  clock.advance(19s);
  d.tick(clock.now(), out);
  CHECK(out.empty());
  clock.advance(1s);
  d.tick(clock.now(), out);
  CHECK(tokens_of(out, K::fail_timeout) == std::vector<Token>{1});
  CHECK(d.next_deadline() == clock.now() + 10s);
  out.clear();
  clock.advance(10s);
  d.tick(clock.now(), out);
  CHECK(tokens_of(out, K::fail_timeout) == std::vector<Token>{2});
  CHECK(d.queued() == 0);
}

TEST_CASE("a full queue rejects with queue_full") {
  ManualClock clock;
  Dispatcher d({0, 2, 30s}, clock.now());
  Actions out;
  for (Token t = 1; t <= 3; ++t) d.request_arrived(t, clock.now(), out);
  CHECK(tokens_of(out, K::reject_queue_full) == std::vector<Token>{3});
  CHECK(d.queued() == 2);
}

TEST_CASE("fail_held answers every held request, cancelled ones leave the queue") {
  ManualClock clock;
  Dispatcher d({0, 10, 30s}, clock.now());
  Actions out;
  for (Token t = 1; t <= 3; ++t) d.request_arrived(t, clock.now(), out);
  d.request_cancelled(2, clock.now(), out);
  CHECK(!d.is_held(2));
  out.clear();
  d.fail_held(clock.now(), out);
  CHECK(tokens_of(out, K::fail_held) == std::vector<Token>{1, 3});
  CHECK(d.queued() == 0);
}

TEST_CASE("concurrency integrals are exact: inflight and queued over time") {
  ManualClock clock;
  Dispatcher d({1, 10, 30s}, clock.now());
  Actions out;
  d.replica_added("a", clock.now(), out);
  d.request_arrived(1, clock.now(), out);  // inflight 1
  clock.advance(2s);
  d.request_arrived(2, clock.now(), out);  // held: 2 in total
  clock.advance(3s);
  auto l = d.load(clock.now());
  CHECK(l.inflight == 1);
  CHECK(l.queued == 1);
  CHECK(l.concurrency_integral == doctest::Approx(2.0 * 1 + 3.0 * 2));
  REQUIRE(l.replicas.size() == 1);
  CHECK(l.replicas[0].outstanding_integral == doctest::Approx(5.0));
  d.request_finished(1, "a", clock.now(), out);  // 2 dispatched
  clock.advance(1s);
  d.request_finished(2, "a", clock.now(), out);
  clock.advance(10s);
  l = d.load(clock.now());
  CHECK(l.concurrency_integral == doctest::Approx(9.0));
  CHECK(l.requests_total == 2);
  CHECK(l.last_request_end == clock.now() - 10s);
}

TEST_CASE("raising container_concurrency releases held requests") {
  ManualClock clock;
  Dispatcher d({1, 10, 30s}, clock.now());
  Actions out;
  d.replica_added("a", clock.now(), out);
  d.request_arrived(1, clock.now(), out);
  d.request_arrived(2, clock.now(), out);
  out.clear();
  d.set_limits({2, 10, 30s}, clock.now(), out);
  CHECK(tokens_of(out, K::dispatch) == std::vector<Token>{2});
}

TEST_CASE("removing the last replica with requests waiting asks for capacity") {
  ManualClock clock;
  Dispatcher d({1, 10, 30s}, clock.now());
  Actions out;
  d.replica_added("a", clock.now(), out);
  d.request_arrived(1, clock.now(), out);
  d.request_arrived(2, clock.now(), out);
  out.clear();
  d.replica_removed("a", clock.now(), out);
  CHECK(has(out, K::capacity_needed));
  out.clear();
  d.request_finished(1, "a", clock.now(), out);  // tolerated after removal
  CHECK(d.inflight() == 0);
  CHECK(d.queued() == 1);
}
