// The workers: accept loops on SO_REUSEPORT listeners, start and shutdown, and each worker's own
// slot of the replicas' connection pools. The control plane is in gateway.cpp, requests in session.cpp.
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include "gateway/gateway_impl.hpp"
#include "tls/cert_store.hpp"

namespace svl::gateway {

namespace {
asio::awaitable<void> accept_loop(std::shared_ptr<Gateway::Impl> impl, Worker& w, tcp::acceptor& acceptor, bool tls) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
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
    run_session(impl, w, std::move(socket), tls);
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

void check_port_free(const tcp::endpoint& ep);

// A listener for worker `w` on `ep` with SO_REUSEPORT: every worker has one on the same port and
// the kernel spreads new connections over them.
void listen_on(Worker& w, std::optional<tcp::acceptor>& acceptor, const tcp::endpoint& ep) {
  boost::system::error_code ec;
  acceptor.emplace(w.ioc);
  acceptor->open(ep.protocol(), ec);
  check(ec, "gateway open");
  acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  const int one = 1;
  if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    check({errno, boost::system::system_category()}, "gateway SO_REUSEPORT");
  acceptor->bind(ep, ec);
  check(ec, "gateway bind " + ep.address().to_string() + ":" + std::to_string(ep.port()));
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  check(ec, "gateway listen");
}

tcp::endpoint parse_endpoint(const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  tcp::endpoint ep{asio::ip::make_address(address, ec), port};
  if (ec) throw std::system_error(ec, "gateway listen address " + address);
  return ep;
}

// Every worker listens on `ep`; returns the port (port 0: the one the first listener got).
std::uint16_t listen_all(std::vector<std::unique_ptr<Worker>>& workers, std::optional<tcp::acceptor> Worker::*which,
                         tcp::endpoint ep) {
  if (ep.port() != 0) check_port_free(ep);
  listen_on(*workers[0], (*workers[0]).*which, ep);
  ep.port(((*workers[0]).*which)->local_endpoint().port());
  for (unsigned i = 1; i < workers.size(); ++i) listen_on(*workers[i], (*workers[i]).*which, ep);
  return ep.port();
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

Gateway::Impl::Impl(Options o, Listener& l, Observer& ob) : options(std::move(o)), listener(l), observer(ob) {
  if (options.threads == 0) options.threads = cores();
}

Gateway::Impl::~Impl() = default;

void Gateway::Impl::start() {
  if (started_) throw std::logic_error("gateway already started");
  std::vector<std::unique_ptr<Worker>> made;
  for (unsigned i = 0; i < options.threads; ++i) made.push_back(std::make_unique<Worker>(i));
  bound_port = listen_all(made, &Worker::acceptor, parse_endpoint(options.listen_address, options.port));
  if (options.tls.certs) {
    // asio's context takes ownership of the handle it wraps: it gets a reference of its own.
    SSL_CTX_up_ref(options.tls.certs->server_context());
    tls_context.emplace(options.tls.certs->server_context());
    bound_tls_port =
        listen_all(made, &Worker::tls_acceptor, parse_endpoint(options.tls.listen_address, options.tls.port));
  }
  if (!options.bridge_address.empty()) {
    const auto ep = parse_endpoint(options.bridge_address, options.bridge_port ? options.bridge_port : bound_port);
    bridge_address = ep.address();
    const auto plain = parse_endpoint(options.listen_address, bound_port);
    // A wildcard plain listener on the same port already takes the bridge's connections.
    bound_bridge_port = plain.address().is_unspecified() && ep.port() == bound_port
                            ? bound_port
                            : listen_all(made, &Worker::bridge_acceptor, ep);
  }
  workers = std::move(made);
  started_ = true;
  {
    std::lock_guard lock(posting_mu);
    posting = true;
  }
  for (auto& w : workers) {
    asio::co_spawn(w->ioc, accept_loop(shared_from_this(), *w, *w->acceptor, false), asio::detached);
    if (w->tls_acceptor) asio::co_spawn(w->ioc, accept_loop(shared_from_this(), *w, *w->tls_acceptor, true), asio::detached);
    if (w->bridge_acceptor)
      asio::co_spawn(w->ioc, accept_loop(shared_from_this(), *w, *w->bridge_acceptor, false), asio::detached);
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
      if (w->tls_acceptor) w->tls_acceptor->close(ignored);
      if (w->bridge_acceptor) w->bridge_acceptor->close(ignored);
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
  disk.join();  // a webroot read still running completes (into a worker that is about to stop)
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
    w->tls_acceptor.reset();
    w->bridge_acceptor.reset();
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

}  // namespace svl::gateway
