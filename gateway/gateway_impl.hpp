#pragma once
// Internal to the gateway's .cpp files (includes Asio). The shared state behind Gateway:
// per-function entries (route, dispatcher, replica pools, held waiters) each guarded by its own
// mutex with tiny critical sections, and the workers: a thread, io_context, listener and upstream
// connections each (docs/gateway.md, "Threads and shared state").
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "gateway/dispatcher.hpp"
#include "gateway/gateway.hpp"
#include "gateway/netns.hpp"
#include "gateway/routing.hpp"

namespace svl::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One keep-alive connection to a replica. Made by one worker and only ever used there: by one
// session at a time, idle ones wait in the worker's slot of the replica's pool.
struct UpstreamConnection {
  // `open` counts the worker's connections to the replica for as long as this one exists.
  UpstreamConnection(asio::any_io_executor ex, std::shared_ptr<std::atomic<unsigned>> open)
      : socket(std::move(ex)), open_(std::move(open)) {
    ++*open_;
  }
  ~UpstreamConnection() { --*open_; }
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
  bool reused = false;
  std::chrono::steady_clock::time_point idle_since{};  // when it went back to the pool
  bool fresh = false;                                   // not connected yet

private:
  std::shared_ptr<std::atomic<unsigned>> open_;
};

// A request waiting for a connection to be given back (Options::max_connections_per_replica).
// Same worker as the connections it waits for: the giver hands it over and cancels the timer.
struct ConnectionWaiter {
  explicit ConnectionWaiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::unique_ptr<UpstreamConnection> handed;
};

// One worker's connections to one replica. Touched only on that worker's thread (or once every
// worker has stopped), so the warm path takes no lock for its connection. Cache-line aligned:
// the workers' slots sit next to each other in ReplicaPool::workers.
struct alignas(64) WorkerConnections {
  std::vector<std::unique_ptr<UpstreamConnection>> idle;
  std::shared_ptr<std::atomic<unsigned>> open = std::make_shared<std::atomic<unsigned>>(0);  // idle, busy, opening
  std::deque<std::shared_ptr<ConnectionWaiter>> waiting;  // oldest first
  std::chrono::steady_clock::time_point last_given_back{};
};

// A ready replica. Everything but `workers` and `removed` is set once, before the pool is
// published (under the function's mutex), and read-only after.
struct ReplicaPool {
  explicit ReplicaPool(unsigned worker_count) : workers(worker_count) {}
  ReplicaEndpoint endpoint;
  tcp::endpoint address;
  std::shared_ptr<const Netns> netns;  // held open while the replica serves (endpoint.netns set)
  std::string unreachable;             // why its namespace could not be opened: every connect fails
  std::vector<WorkerConnections> workers;  // [i]: worker i's
  std::atomic<bool> removed{false};        // no connection goes back to it
};

// What a request gets for its upstream connection: `conn` (idle, or `fresh` to be connected), or
// `waiter` to wait on for one given back.
struct Acquired {
  std::unique_ptr<UpstreamConnection> conn;
  std::shared_ptr<ConnectionWaiter> waiter;
};

// A held request waiting for its dispatch. The session waits on `timer` (its worker's);
// whoever decides its fate sets the outcome under the function mutex and cancels the timer
// through a post to the session's worker.
struct Waiter {
  explicit Waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
  enum class Outcome { waiting, dispatched, timed_out, failed, queue_full };
  asio::steady_timer timer;
  Outcome outcome = Outcome::waiting;
  std::shared_ptr<ReplicaPool> replica;
  unsigned status = 0;
  std::string message;
};

struct FunctionEntry {
  FunctionEntry(FunctionRoute r, TimePoint now)
      : route(std::move(r)),
        dispatcher(DispatchLimits{route.container_concurrency, route.max_queue, route.start_timeout}, now) {}
  std::mutex mu;
  FunctionRoute route;
  Dispatcher dispatcher;
  std::unordered_map<std::string, std::shared_ptr<ReplicaPool>> replicas;
  std::unordered_map<Token, std::shared_ptr<Waiter>> waiters;
  std::string not_ready_reason;
  bool removed = false;
};

struct DispatchResult {
  Waiter::Outcome outcome;
  std::shared_ptr<ReplicaPool> replica;  // when dispatched
  unsigned status = 0;
  std::string message;
};

// A function as one worker last saw it: the entry and a copy of its route (limits as of then).
struct CachedFunction {
  std::shared_ptr<FunctionEntry> entry;
  FunctionRoute route;
};

// One worker thread: its own io_context, its own SO_REUSEPORT listener on the shared address and
// port, its own upstream connections (ReplicaPool::workers[index]). A connection, its requests and
// everything they wait on stay on the worker that accepted it: no strands.
struct Worker {
  explicit Worker(unsigned i) : index(i), ioc(1) {}
  unsigned index;
  asio::io_context ioc;  // one thread; other threads only post to it
  std::optional<tcp::acceptor> acceptor;
  std::optional<tcp::acceptor> tls_acceptor;  // when Options::tls.certs
  std::optional<tcp::acceptor> bridge_acceptor;  // when Options::bridge_address needs its own
  std::thread thread;
  // Below: this worker's thread only.
  Token tokens = 0;
  // The function table as of `functions_version` (Impl::functions_version): read without a lock
  // on the request path, copied again under Impl::functions_mu when the version moved.
  std::uint64_t functions_version = ~std::uint64_t{0};
  std::unordered_map<std::string, CachedFunction> functions;
  CustomDomains custom_domains;  // built from `functions`' routes, with them
};

class Gateway::Impl : public std::enable_shared_from_this<Gateway::Impl> {
public:
  Impl(Options options, Listener& listener, Observer& observer);
  ~Impl();

  void start();
  void shutdown();

  std::shared_ptr<FunctionEntry> find_function(const std::string& name) const;
  // On worker `w`'s thread: the function and its route, from the worker's copy of the table.
  const CachedFunction* find_function(Worker& w, const std::string& name);
  // On worker `w`'s thread: the custom domain -> function map of the worker's copy of the table.
  const CustomDomains& custom_domains(Worker& w);
  void refresh_functions(Worker& w);  // copies the table when functions_version moved

  // Carries out dispatcher actions (entry.mu held): wakes waiters; listener calls go to `after`.
  void apply(FunctionEntry& entry, Actions& actions, std::vector<std::function<void()>>& after);
  // One control-plane event: `event(actions)` runs under entry.mu, its actions are applied there,
  // and the listener calls they produce run once the lock is released. Defined in gateway.cpp.
  template <class Event>
  void control(FunctionEntry& entry, Event&& event);

  // Session side.
  // `waiter` is created (on `ex`, the session's worker) only when the request has to wait.
  DispatchResult admit(const std::shared_ptr<FunctionEntry>& entry, Token token, const asio::any_io_executor& ex,
                       std::shared_ptr<Waiter>& waiter);
  DispatchResult connect_failed(const std::shared_ptr<FunctionEntry>& entry, Token token, const std::string& replica,
                                const asio::any_io_executor& ex, std::shared_ptr<Waiter>& waiter);
  // The waiter's timer fired or was cancelled: returns its outcome; times out expired holds.
  DispatchResult check_waiter(const std::shared_ptr<FunctionEntry>& entry, Token token,
                              const std::shared_ptr<Waiter>& waiter, bool client_gone);
  void finished(const std::shared_ptr<FunctionEntry>& entry, Token token, const std::string& replica);
  // Upstream connections, on worker `w`'s thread, from and to its own slot of the pool (no lock).
  // `may_wait` false: never queue (the request already waited connection_reuse_wait).
  Acquired acquire(Worker& w, ReplicaPool& pool, bool may_wait);
  // After the waiter's timer: the connection handed over meanwhile; else, while other requests
  // keep giving connections back (one within connection_reuse_wait) and not `give_up`, when to
  // look again; else neither (it has left the queue: open a connection).
  struct WaitOutcome {
    std::unique_ptr<UpstreamConnection> conn;
    std::optional<std::chrono::steady_clock::time_point> again_at;
  };
  WaitOutcome check_connection_waiter(Worker& w, ReplicaPool& pool, const std::shared_ptr<ConnectionWaiter>& waiter,
                                      bool give_up);
  // To the oldest waiter, else to the idle pool.
  void give_back(Worker& w, ReplicaPool& pool, std::unique_ptr<UpstreamConnection> conn);
  // The pool's replica is gone (or replaced): no connection goes back to it, and each worker
  // closes its idle ones and stops its waiters (they fail over on connect). Any thread.
  void retire(const std::shared_ptr<ReplicaPool>& pool);
  // Each worker closes its idle connections to the replica (draining). Any thread.
  void drop_idle(const std::shared_ptr<ReplicaPool>& pool);
  // A new pool, sized for the workers and remembered so shutdown can empty it.
  std::shared_ptr<ReplicaPool> make_pool();

  // Unique per gateway: worker `w`'s own counter, interleaved with the other workers'.
  Token next_token(Worker& w) { return ++w.tokens * workers.size() + w.index; }

  // Session registry for graceful shutdown.
  void session_started();
  void session_ended();

  // The worker a readiness probe runs on (round robin); null when not running.
  Worker* probe_worker();

  Options options;
  Listener& listener;
  Observer& observer;
  SteadyClock clock;
  std::atomic<bool> stopping{false};

  std::vector<std::unique_ptr<Worker>> workers;  // made by start(), their io_contexts gone after shutdown()
  std::uint16_t bound_port = 0;
  std::uint16_t bound_tls_port = 0;
  std::uint16_t bound_bridge_port = 0;
  std::optional<asio::ip::address> bridge_address;  // Options::bridge_address, parsed
  // The TLS streams' context: the certificate store's, whose SNI callback picks each name's.
  std::optional<asio::ssl::context> tls_context;
  std::atomic<unsigned> handshakes{0};  // in progress, all workers
  // Reads the ACME webroot, so a slow disk never stalls a worker.
  asio::thread_pool disk{1};

  // The table the control plane edits. Each change (a function added, changed or removed) bumps
  // `functions_version` after it is made, and the workers copy the table when they see that.
  mutable std::shared_mutex functions_mu;
  std::unordered_map<std::string, std::shared_ptr<FunctionEntry>> functions;
  std::atomic<std::uint64_t> functions_version{0};

  // Idle client connections register a cancel hook so shutdown can close them.
  std::mutex sessions_mu;
  std::condition_variable sessions_cv;
  std::size_t active_sessions = 0;
  std::unordered_map<std::uint64_t, std::function<void()>> idle_closers;
  std::uint64_t session_counter = 0;

private:
  // Runs `f(slot)` on each worker's thread for its slot of `pool` (posted while the workers run;
  // otherwise nothing to do: no connection exists before start or after shutdown).
  template <class F>
  void on_each_worker(const std::shared_ptr<ReplicaPool>& pool, F f);

  std::mutex posting_mu;  // guards `posting`: may control methods post to the workers
  bool posting = false;
  std::mutex pools_mu;
  std::vector<std::weak_ptr<ReplicaPool>> pools_;  // every pool made, for shutdown
  std::atomic<unsigned> probe_rr_{0};
  bool started_ = false;
  bool shut_down_ = false;
};

// Defined in session.cpp: serves one client connection until it closes.
// `tls`: accepted on the HTTPS listener; the handshake comes first.
void run_session(std::shared_ptr<Gateway::Impl> impl, Worker& worker, tcp::socket socket, bool tls);
// Defined in probe.cpp.
void run_probe(std::shared_ptr<Gateway::Impl> impl, ReplicaEndpoint endpoint, std::string path,
               std::chrono::milliseconds interval, std::chrono::steady_clock::time_point deadline,
               std::function<void(bool, std::string)> done);

tcp::endpoint endpoint_address(const ReplicaEndpoint& e);
// Opens `socket` for a replica: inside `ns` when set, else in the gateway's own namespace.
boost::system::error_code open_socket(tcp::socket& socket, const Netns* ns);

}  // namespace svl::gateway
