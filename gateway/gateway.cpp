// Gateway's control plane, workers (accept loops, upstream pools), shutdown. Request handling is in session.cpp.
#include "gateway/gateway.hpp"

#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include <algorithm>
#include <stdexcept>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/gateway_impl.hpp"

namespace svl::gateway {

namespace {

// Wakes a held request's session on its own worker.
void wake(const std::shared_ptr<Waiter>& w) {
  asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
}

asio::awaitable<void> accept_loop(std::shared_ptr<Gateway::Impl> impl, Worker& w) {
  for (;;) {
    auto [ec, socket] = co_await w.acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (impl->stopping.load()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) co_return;
      // e.g. EMFILE: back off a little instead of spinning.
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    run_session(impl, w, std::move(socket));
  }
}

// The CPUs this process may run on.
unsigned cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1u, std::thread::hardware_concurrency());
}

void check(const boost::system::error_code& e, const std::string& what) {
  if (e) throw std::system_error(e, what);
}

// A listener for worker `w` on `ep` with SO_REUSEPORT: every worker has one on the same port and
// the kernel spreads new connections over them.
void listen_on(Worker& w, const tcp::endpoint& ep) {
  boost::system::error_code ec;
  w.acceptor.emplace(w.ioc);
  w.acceptor->open(ep.protocol(), ec);
  check(ec, "gateway open");
  w.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  const int one = 1;
  if (::setsockopt(w.acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    check({errno, boost::system::system_category()}, "gateway SO_REUSEPORT");
  w.acceptor->bind(ep, ec);
  check(ec, "gateway bind " + ep.address().to_string() + ":" + std::to_string(ep.port()));
  w.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  check(ec, "gateway listen");
}

// SO_REUSEPORT would let us share a port with another process's SO_REUSEPORT listener (another
// gateway of the same user) instead of failing: a plain bind first says whether the port is free.
void check_port_free(const tcp::endpoint& ep) {
  asio::io_context ioc;
  tcp::acceptor probe(ioc);
  boost::system::error_code ec;
  probe.open(ep.protocol(), ec);
  check(ec, "gateway open");
  probe.set_option(asio::socket_base::reuse_address(true), ec);
  probe.bind(ep, ec);
  check(ec, "gateway bind " + ep.address().to_string() + ":" + std::to_string(ep.port()));
}

}  // namespace

tcp::endpoint endpoint_address(const ReplicaEndpoint& e) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(e.host == "localhost" ? std::string("127.0.0.1") : e.host, ec);
  if (ec) addr = asio::ip::address_v4::loopback();
  return {addr, e.port};
}

boost::system::error_code open_socket(tcp::socket& socket, const Netns* ns) {
  if (!ns) return {};  // async_connect opens it, for the address's own protocol
  boost::system::error_code ec;
  std::error_code made;
  const int fd = ns->make_socket(made);
  if (fd < 0) return {made.value(), boost::system::system_category()};
  socket.assign(tcp::v4(), fd, ec);
  if (ec) ::close(fd);
  return ec;
}

Gateway::Impl::Impl(Options o, Listener& l, Observer& ob) : options(std::move(o)), listener(l), observer(ob) {
  if (options.threads == 0) options.threads = cores();
}

Gateway::Impl::~Impl() = default;

void Gateway::Impl::start() {
  if (started_) throw std::logic_error("gateway already started");
  boost::system::error_code ec;
  tcp::endpoint ep{asio::ip::make_address(options.listen_address, ec), options.port};
  if (ec) throw std::system_error(ec, "gateway listen address " + options.listen_address);
  std::vector<std::unique_ptr<Worker>> made;
  for (unsigned i = 0; i < options.threads; ++i) made.push_back(std::make_unique<Worker>(i));
  if (ep.port() != 0) check_port_free(ep);
  listen_on(*made[0], ep);
  ep.port(made[0]->acceptor->local_endpoint().port());  // port 0: the others bind to the one it got
  for (unsigned i = 1; i < made.size(); ++i) listen_on(*made[i], ep);
  bound_port = ep.port();
  workers = std::move(made);
  started_ = true;
  {
    std::lock_guard lock(posting_mu);
    posting = true;
  }
  for (auto& w : workers) {
    asio::co_spawn(w->ioc, accept_loop(shared_from_this(), *w), asio::detached);
    w->thread = std::thread([w = w.get()] { w->ioc.run(); });
  }
}

void Gateway::Impl::shutdown() {
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  stopping.store(true);
  for (auto& w : workers) {
    asio::post(w->ioc, [w = w.get()] {
      boost::system::error_code ignored;
      w->acceptor->close(ignored);
    });
  }
  {
    std::unique_lock lock(sessions_mu);
    for (auto& [id, close] : idle_closers) close();
    sessions_cv.wait_until(lock, std::chrono::steady_clock::now() + options.shutdown_grace,
                           [this] { return active_sessions == 0; });
  }
  {
    std::lock_guard lock(posting_mu);  // from here on, control methods leave the workers alone
    posting = false;
  }
  for (auto& w : workers) w->ioc.stop();
  for (auto& w : workers)
    if (w->thread.joinable()) w->thread.join();
  // I/O objects must go before their io_context: pooled connections and waiters first (every
  // pool ever made, also those of replicas already removed), then the listeners, then the
  // contexts (which destroy the suspended coroutines and what they own: all on their own worker).
  {
    std::lock_guard lock(pools_mu);
    for (auto& weak : pools_)
      if (auto pool = weak.lock())
        for (auto& slot : pool->workers) {
          slot.idle.clear();
          slot.waiting.clear();
        }
    pools_.clear();
  }
  {
    std::unique_lock lock(functions_mu);
    for (auto& [name, entry] : functions) {
      std::lock_guard el(entry->mu);
      entry->waiters.clear();
    }
  }
  {
    std::lock_guard lock(sessions_mu);
    idle_closers.clear();
  }
  for (auto& w : workers) {
    w->functions.clear();
    w->acceptor.reset();
  }
  for (auto& w : workers) w.reset();
}

Worker* Gateway::Impl::probe_worker() {
  if (!started_ || stopping.load() || workers.empty() || !workers[0]) return nullptr;
  return workers[probe_rr_.fetch_add(1, std::memory_order_relaxed) % workers.size()].get();
}

std::shared_ptr<ReplicaPool> Gateway::Impl::make_pool() {
  auto pool = std::make_shared<ReplicaPool>(options.threads);
  std::lock_guard lock(pools_mu);
  std::erase_if(pools_, [](const std::weak_ptr<ReplicaPool>& p) { return p.expired(); });
  pools_.push_back(pool);
  return pool;
}

template <class F>
void Gateway::Impl::on_each_worker(const std::shared_ptr<ReplicaPool>& pool, F f) {
  std::lock_guard lock(posting_mu);
  if (!posting) return;
  for (auto& w : workers) asio::post(w->ioc, [pool, f, i = w->index] { f(pool->workers[i]); });
}

void Gateway::Impl::retire(const std::shared_ptr<ReplicaPool>& pool) {
  pool->removed.store(true);
  on_each_worker(pool, [](WorkerConnections& slot) {
    slot.idle.clear();
    for (auto& w : slot.waiting) w->timer.cancel();
    slot.waiting.clear();
  });
}

void Gateway::Impl::drop_idle(const std::shared_ptr<ReplicaPool>& pool) {
  on_each_worker(pool, [](WorkerConnections& slot) { slot.idle.clear(); });
}

std::shared_ptr<FunctionEntry> Gateway::Impl::find_function(const std::string& name) const {
  std::shared_lock lock(functions_mu);
  auto it = functions.find(name);
  return it == functions.end() ? nullptr : it->second;
}

const CachedFunction* Gateway::Impl::find_function(Worker& w, const std::string& name) {
  if (functions_version.load(std::memory_order_acquire) != w.functions_version) {
    std::shared_lock lock(functions_mu);
    w.functions_version = functions_version.load(std::memory_order_acquire);
    w.functions.clear();
    for (auto& [n, entry] : functions) {
      std::lock_guard el(entry->mu);
      w.functions.emplace(n, CachedFunction{entry, entry->route});
    }
  }
  auto it = w.functions.find(name);
  return it == w.functions.end() ? nullptr : &it->second;
}

void Gateway::Impl::session_started() {
  std::lock_guard lock(sessions_mu);
  ++active_sessions;
}

void Gateway::Impl::session_ended() {
  std::lock_guard lock(sessions_mu);
  --active_sessions;
  if (active_sessions == 0) sessions_cv.notify_all();
}

// Carries out dispatcher actions. Called with entry.mu held; listener calls are deferred to
// `after` so they run without the lock.
void Gateway::Impl::apply(FunctionEntry& entry, Actions& actions, std::vector<std::function<void()>>& after) {
  std::optional<std::size_t> capacity_queued;
  for (auto& a : actions) {
    switch (a.kind) {
      case Action::Kind::dispatch: {
        auto w = entry.waiters.find(a.token);
        if (w == entry.waiters.end()) break;
        auto r = entry.replicas.find(a.replica);
        w->second->outcome = Waiter::Outcome::dispatched;
        w->second->replica = r == entry.replicas.end() ? nullptr : r->second;
        wake(w->second);
        entry.waiters.erase(w);
        break;
      }
      case Action::Kind::hold:
        break;
      case Action::Kind::reject_queue_full:
      case Action::Kind::fail_timeout:
      case Action::Kind::fail_held: {
        auto w = entry.waiters.find(a.token);
        if (w == entry.waiters.end()) break;
        if (a.kind == Action::Kind::reject_queue_full) {
          w->second->outcome = Waiter::Outcome::queue_full;
        } else if (a.kind == Action::Kind::fail_timeout) {
          w->second->outcome = Waiter::Outcome::timed_out;
          w->second->message = entry.not_ready_reason;
        } else {
          w->second->outcome = Waiter::Outcome::failed;  // status/message set by the caller
        }
        wake(w->second);
        entry.waiters.erase(w);
        break;
      }
      case Action::Kind::capacity_needed:
        capacity_queued = a.queued;  // one call per batch is enough
        break;
      case Action::Kind::replica_drained:
        after.push_back([this, name = entry.route.name, id = a.replica] { listener.on_replica_drained(name, id); });
        break;
    }
  }
  if (capacity_queued)
    after.push_back([this, name = entry.route.name, q = *capacity_queued] { listener.on_capacity_needed(name, q); });
  actions.clear();
}

namespace {
void run_all(std::vector<std::function<void()>>& after) {
  for (auto& f : after) f();
}

DispatchResult result_of(const Waiter& w) { return {w.outcome, w.replica, w.status, w.message}; }

// Gives the held requests that the dispatcher just failed the status and message to answer with.
void set_failure(FunctionEntry& entry, const Actions& actions, unsigned status, const std::string& message) {
  for (const auto& a : actions) {
    if (auto w = entry.waiters.find(a.token); w != entry.waiters.end()) {
      w->second->status = status;
      w->second->message = message;
    }
  }
}
}  // namespace

template <class Event>
void Gateway::Impl::control(FunctionEntry& entry, Event&& event) {
  std::vector<std::function<void()>> after;
  {
    Actions actions;
    std::lock_guard lock(entry.mu);
    event(actions);
    apply(entry, actions, after);
  }
  run_all(after);
}

DispatchResult Gateway::Impl::admit(const std::shared_ptr<FunctionEntry>& entry, Token token,
                                    const asio::any_io_executor& ex, std::shared_ptr<Waiter>& waiter) {
  std::vector<std::function<void()>> after;
  DispatchResult result;
  {
    Actions actions;
    std::lock_guard lock(entry->mu);
    if (entry->removed) return {Waiter::Outcome::failed, nullptr, 404, "function was removed"};
    entry->dispatcher.request_arrived(token, clock.now(), actions);
    // The common case, dispatched at once, needs no waiter at all.
    if (actions.size() == 1 && actions[0].kind == Action::Kind::dispatch) {
      auto r = entry->replicas.find(actions[0].replica);
      return {Waiter::Outcome::dispatched, r == entry->replicas.end() ? nullptr : r->second, 0, {}};
    }
    if (!waiter) waiter = std::make_shared<Waiter>(ex);
    entry->waiters.emplace(token, waiter);
    apply(*entry, actions, after);
    // apply() posted a wake-up if it already decided; the result is read here, under the lock.
    result = result_of(*waiter);
    if (result.outcome != Waiter::Outcome::waiting) entry->waiters.erase(token);
  }
  run_all(after);
  return result;
}

DispatchResult Gateway::Impl::connect_failed(const std::shared_ptr<FunctionEntry>& entry, Token token,
                                             const std::string& replica, const asio::any_io_executor& ex,
                                             std::shared_ptr<Waiter>& waiter) {
  std::vector<std::function<void()>> after;
  DispatchResult result;
  {
    Actions actions;
    std::lock_guard lock(entry->mu);
    if (!waiter) waiter = std::make_shared<Waiter>(ex);
    waiter->outcome = Waiter::Outcome::waiting;
    waiter->replica.reset();
    entry->waiters.emplace(token, waiter);
    entry->dispatcher.connect_failed(token, replica, clock.now(), actions);
    apply(*entry, actions, after);
    result = result_of(*waiter);
    if (result.outcome != Waiter::Outcome::waiting) entry->waiters.erase(token);
    after.push_back([this, name = entry->route.name, replica] { listener.on_replica_unreachable(name, replica); });
  }
  run_all(after);
  return result;
}

DispatchResult Gateway::Impl::check_waiter(const std::shared_ptr<FunctionEntry>& entry, Token token,
                                           const std::shared_ptr<Waiter>& waiter, bool client_gone) {
  std::vector<std::function<void()>> after;
  DispatchResult result;
  {
    Actions actions;
    std::lock_guard lock(entry->mu);
    if (waiter->outcome == Waiter::Outcome::waiting) {
      const auto now = clock.now();
      if (client_gone) {
        entry->dispatcher.request_cancelled(token, now, actions);
        entry->waiters.erase(token);
        waiter->outcome = Waiter::Outcome::failed;
        waiter->status = 499;
      } else {
        entry->dispatcher.tick(now, actions);
        apply(*entry, actions, after);
      }
    }
    result = result_of(*waiter);
  }
  run_all(after);
  return result;
}

void Gateway::Impl::finished(const std::shared_ptr<FunctionEntry>& entry, Token token, const std::string& replica) {
  control(*entry, [&](Actions& actions) { entry->dispatcher.request_finished(token, replica, clock.now(), actions); });
}

Acquired Gateway::Impl::acquire(Worker& w, ReplicaPool& pool, bool may_wait) {
  auto& slot = pool.workers[w.index];
  Acquired got;
  if (!slot.idle.empty()) {
    got.conn = std::move(slot.idle.back());
    slot.idle.pop_back();
    return got;
  }
  const unsigned cap = options.max_connections_per_replica;
  if (may_wait && cap > 0 && slot.open->load(std::memory_order_relaxed) >= cap && !pool.removed.load()) {
    got.waiter = std::make_shared<ConnectionWaiter>(w.ioc.get_executor());
    slot.waiting.push_back(got.waiter);
    return got;
  }
  got.conn = std::make_unique<UpstreamConnection>(w.ioc.get_executor(), slot.open);
  got.conn->fresh = true;
  return got;
}

Gateway::Impl::WaitOutcome Gateway::Impl::check_connection_waiter(Worker& w, ReplicaPool& pool,
                                                                  const std::shared_ptr<ConnectionWaiter>& waiter,
                                                                  bool give_up) {
  auto& slot = pool.workers[w.index];
  WaitOutcome out;
  if (waiter->handed) {
    out.conn = std::move(waiter->handed);
    return out;
  }
  const auto again = slot.last_given_back + options.connection_reuse_wait;
  if (!give_up && !pool.removed.load() && again > clock.now() &&
      std::find(slot.waiting.begin(), slot.waiting.end(), waiter) != slot.waiting.end()) {
    out.again_at = again;
    return out;
  }
  std::erase(slot.waiting, waiter);
  return out;
}

void Gateway::Impl::give_back(Worker& w, ReplicaPool& pool, std::unique_ptr<UpstreamConnection> conn) {
  if (pool.removed.load() || stopping.load()) return;
  auto& slot = pool.workers[w.index];
  conn->reused = true;
  conn->idle_since = clock.now();
  slot.last_given_back = conn->idle_since;
  if (!slot.waiting.empty()) {
    auto waiter = std::move(slot.waiting.front());
    slot.waiting.pop_front();
    waiter->handed = std::move(conn);
    waiter->timer.cancel();  // same thread: the waiting session resumes on its next turn
    return;
  }
  if (slot.idle.size() >= options.max_idle_upstream_per_replica) return;
  slot.idle.push_back(std::move(conn));
}

// ---- Gateway ----

Gateway::Gateway(Options options, Listener& listener, Observer& observer)
    : impl_(std::make_shared<Impl>(std::move(options), listener, observer)) {}

Gateway::~Gateway() { impl_->shutdown(); }

void Gateway::start() { impl_->start(); }
std::uint16_t Gateway::port() const { return impl_->bound_port; }
void Gateway::shutdown() { impl_->shutdown(); }

void Gateway::upsert_function(FunctionRoute route) {
  auto& impl = *impl_;
  std::shared_ptr<FunctionEntry> entry;
  {
    std::unique_lock lock(impl.functions_mu);
    auto it = impl.functions.find(route.name);
    if (it == impl.functions.end()) {
      auto name = route.name;
      impl.functions.emplace(std::move(name), std::make_shared<FunctionEntry>(std::move(route), impl.clock.now()));
      impl.functions_version.fetch_add(1, std::memory_order_release);
      return;
    }
    entry = it->second;
  }
  impl.control(*entry, [&](Actions& actions) {
    entry->dispatcher.set_limits(DispatchLimits{route.container_concurrency, route.max_queue, route.start_timeout},
                                 impl.clock.now(), actions);
    entry->route = std::move(route);
  });
  impl.functions_version.fetch_add(1, std::memory_order_release);  // the workers copy the new route
}

void Gateway::remove_function(const std::string& name) {
  auto& impl = *impl_;
  std::shared_ptr<FunctionEntry> entry;
  {
    std::unique_lock lock(impl.functions_mu);
    auto it = impl.functions.find(name);
    if (it == impl.functions.end()) return;
    entry = it->second;
    impl.functions.erase(it);
    impl.functions_version.fetch_add(1, std::memory_order_release);
  }
  std::vector<std::function<void()>> after;
  {
    Actions actions;
    std::lock_guard lock(entry->mu);
    entry->removed = true;
    entry->dispatcher.fail_held(impl.clock.now(), actions);
    set_failure(*entry, actions, 404, "function was removed");
    impl.apply(*entry, actions, after);
    for (auto& [id, pool] : entry->replicas) impl.retire(pool);
  }
  run_all(after);  // outside the lock, as every other control method does
}

void Gateway::add_replica(const std::string& function, ReplicaEndpoint endpoint) {
  auto& impl = *impl_;
  auto entry = impl.find_function(function);
  if (!entry) return;
  impl.control(*entry, [&](Actions& actions) {
    auto pool = impl.make_pool();
    pool->address = endpoint_address(endpoint);
    pool->endpoint = endpoint;
    if (!endpoint.netns.empty()) pool->netns = Netns::open(endpoint.netns, endpoint.netns_inode, pool->unreachable);
    if (auto old = entry->replicas.find(endpoint.id); old != entry->replicas.end()) {
      impl.retire(old->second);
    }
    entry->replicas[endpoint.id] = pool;
    entry->dispatcher.replica_added(endpoint.id, impl.clock.now(), actions);
  });
}

void Gateway::drain_replica(const std::string& function, const std::string& replica_id) {
  auto& impl = *impl_;
  auto entry = impl.find_function(function);
  if (!entry) return;
  impl.control(*entry, [&](Actions& actions) {
    if (auto it = entry->replicas.find(replica_id); it != entry->replicas.end()) impl.drop_idle(it->second);
    entry->dispatcher.replica_draining(replica_id, impl.clock.now(), actions);
  });
}

void Gateway::remove_replica(const std::string& function, const std::string& replica_id) {
  auto& impl = *impl_;
  auto entry = impl.find_function(function);
  if (!entry) return;
  impl.control(*entry, [&](Actions& actions) {
    if (auto it = entry->replicas.find(replica_id); it != entry->replicas.end()) {
      impl.retire(it->second);
      entry->replicas.erase(it);
    }
    entry->dispatcher.replica_removed(replica_id, impl.clock.now(), actions);
  });
}

void Gateway::fail_held(const std::string& function, unsigned status, std::string message) {
  auto& impl = *impl_;
  auto entry = impl.find_function(function);
  if (!entry) return;
  impl.control(*entry, [&](Actions& actions) {
    entry->dispatcher.fail_held(impl.clock.now(), actions);
    set_failure(*entry, actions, status, message);
  });
}

void Gateway::set_not_ready_reason(const std::string& function, std::string reason) {
  auto entry = impl_->find_function(function);
  if (!entry) return;
  std::lock_guard lock(entry->mu);
  entry->not_ready_reason = std::move(reason);
}

LoadSnapshot Gateway::load(const std::string& function) const {
  LoadSnapshot s;
  auto entry = impl_->find_function(function);
  if (!entry) return s;
  DispatcherLoad l;
  {
    std::lock_guard lock(entry->mu);
    l = entry->dispatcher.load(impl_->clock.now());
  }
  s.known = true;
  s.inflight = l.inflight;
  s.queued = l.queued;
  s.concurrency_integral = l.concurrency_integral;
  s.requests_total = l.requests_total;
  s.last_request_end = l.last_request_end;
  for (auto& r : l.replicas)
    s.replicas.push_back({r.id, r.draining, r.outstanding, r.outstanding_integral, r.requests_total, r.last_request_end});
  return s;
}

std::vector<std::string> Gateway::functions() const {
  std::shared_lock lock(impl_->functions_mu);
  std::vector<std::string> names;
  for (auto& [name, e] : impl_->functions) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

void Gateway::probe_ready(ReplicaEndpoint endpoint, std::string path, std::chrono::milliseconds interval,
                          std::chrono::steady_clock::time_point deadline,
                          std::function<void(bool ready, std::string detail)> done) {
  run_probe(impl_, std::move(endpoint), std::move(path), interval, deadline, std::move(done));
}

}  // namespace svl::gateway
