// Gateway's control plane and the shared per-function state (admission, hold queue). The workers
// (accept loops, start, shutdown, upstream pools) are in workers.cpp, request handling in session.cpp.
#include "gateway/gateway.hpp"

#include <unistd.h>

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

std::shared_ptr<FunctionEntry> Gateway::Impl::find_function(const std::string& name) const {
  std::shared_lock lock(functions_mu);
  auto it = functions.find(name);
  return it == functions.end() ? nullptr : it->second;
}

void Gateway::Impl::refresh_functions(Worker& w) {
  if (functions_version.load(std::memory_order_acquire) == w.functions_version) return;
  std::shared_lock lock(functions_mu);
  w.functions_version = functions_version.load(std::memory_order_acquire);
  w.functions.clear();
  w.custom_domains.clear();
  for (auto& [n, entry] : functions) {
    std::lock_guard el(entry->mu);
    const auto& cached = w.functions.emplace(n, CachedFunction{entry, entry->route}).first->second;
    add_custom_domains(w.custom_domains, n, cached.route.custom_domains);
  }
}

const CustomDomains& Gateway::Impl::custom_domains(Worker& w) {
  refresh_functions(w);
  return w.custom_domains;
}

const CachedFunction* Gateway::Impl::find_function(Worker& w, const std::string& name) {
  refresh_functions(w);
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

// ---- Gateway ----

Gateway::Gateway(Options options, Listener& listener, Observer& observer)
    : impl_(std::make_shared<Impl>(std::move(options), listener, observer)) {}

Gateway::~Gateway() { impl_->shutdown(); }

void Gateway::start() { impl_->start(); }
std::uint16_t Gateway::port() const { return impl_->bound_port; }
std::uint16_t Gateway::tls_port() const { return impl_->bound_tls_port; }
std::uint16_t Gateway::bridge_port() const { return impl_->bound_bridge_port; }
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
