#pragma once
// Internal to the gateway's .cpp files (includes Asio). The shared state behind Gateway:
// per-function entries (route, dispatcher, replica pools, held waiters) each guarded by its own
// mutex with tiny critical sections, and the I/O context with its threads.
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
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "gateway/dispatcher.hpp"
#include "gateway/gateway.hpp"
#include "gateway/netns.hpp"

namespace svl::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One keep-alive connection to a replica. Used by one session at a time; idle ones wait in the
// replica's pool. Its socket is only touched from the strand of the session that borrowed it.
struct UpstreamConnection {
  // `open` counts the replica's connections (ReplicaPool::open) for as long as this one exists.
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
// The giver sets `handed` under the function's mutex and cancels the timer on the waiter's strand.
struct ConnectionWaiter {
  explicit ConnectionWaiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::unique_ptr<UpstreamConnection> handed;
};

// Guarded by the function's mutex.
struct ReplicaPool {
  ReplicaEndpoint endpoint;
  tcp::endpoint address;
  std::shared_ptr<const Netns> netns;  // held open while the replica serves (endpoint.netns set)
  std::string unreachable;             // why its namespace could not be opened: every connect fails
  std::vector<std::unique_ptr<UpstreamConnection>> idle;
  std::shared_ptr<std::atomic<unsigned>> open = std::make_shared<std::atomic<unsigned>>(0);  // idle, busy, opening
  std::deque<std::shared_ptr<ConnectionWaiter>> waiting;  // oldest first
  std::chrono::steady_clock::time_point last_given_back{};
  bool removed = false;
};

// What a request gets for its upstream connection: `conn` (idle, or `fresh` to be connected), or
// `waiter` to wait on for one given back.
struct Acquired {
  std::unique_ptr<UpstreamConnection> conn;
  std::shared_ptr<ConnectionWaiter> waiter;
};

// A held request waiting for its dispatch. The session waits on `timer` (its own strand);
// whoever decides its fate sets the outcome under the function mutex and cancels the timer
// through the session's strand.
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

class Gateway::Impl : public std::enable_shared_from_this<Gateway::Impl> {
public:
  Impl(Options options, Listener& listener, Observer& observer);
  ~Impl();

  void start();
  void shutdown();

  std::shared_ptr<FunctionEntry> find_function(const std::string& name) const;
  // The executor for a new connection: a strand when several threads run the io_context.
  asio::any_io_executor connection_executor();

  // Carries out dispatcher actions (entry.mu held): wakes waiters; listener calls go to `after`.
  void apply(FunctionEntry& entry, Actions& actions, std::vector<std::function<void()>>& after);
  // One control-plane event: `event(actions)` runs under entry.mu, its actions are applied there,
  // and the listener calls they produce run once the lock is released. Defined in gateway.cpp.
  template <class Event>
  void control(FunctionEntry& entry, Event&& event);

  // Session side.
  // `waiter` is created (on `ex`, the session's strand) only when the request has to wait.
  DispatchResult admit(const std::shared_ptr<FunctionEntry>& entry, Token token, const asio::any_io_executor& ex,
                       std::shared_ptr<Waiter>& waiter);
  DispatchResult connect_failed(const std::shared_ptr<FunctionEntry>& entry, Token token, const std::string& replica,
                                const asio::any_io_executor& ex, std::shared_ptr<Waiter>& waiter);
  // The waiter's timer fired or was cancelled: returns its outcome; times out expired holds.
  DispatchResult check_waiter(const std::shared_ptr<FunctionEntry>& entry, Token token,
                              const std::shared_ptr<Waiter>& waiter, bool client_gone);
  void finished(const std::shared_ptr<FunctionEntry>& entry, Token token, const std::string& replica);
  // `may_wait` false: never queue (the request already waited connection_reuse_wait).
  Acquired acquire(FunctionEntry& entry, ReplicaPool& pool, const asio::any_io_executor& ex, bool may_wait);
  // After the waiter's timer: the connection handed over meanwhile; else, while other requests
  // keep giving connections back (one within connection_reuse_wait) and not `give_up`, when to
  // look again; else neither (it has left the queue: open a connection).
  struct WaitOutcome {
    std::unique_ptr<UpstreamConnection> conn;
    std::optional<std::chrono::steady_clock::time_point> again_at;
  };
  WaitOutcome check_connection_waiter(FunctionEntry& entry, ReplicaPool& pool,
                                      const std::shared_ptr<ConnectionWaiter>& waiter, bool give_up);
  // To the oldest waiter, else to the idle pool.
  void give_back(FunctionEntry& entry, ReplicaPool& pool, std::unique_ptr<UpstreamConnection> conn);
  // The pool's replica is gone (or replaced): no connection goes back to it, idle ones close, and
  // its waiters stop waiting (they fail over on connect). Called with the function's mutex held.
  static void retire(ReplicaPool& pool);

  Token next_token() { return token_counter_.fetch_add(1, std::memory_order_relaxed) + 1; }

  // Session registry for graceful shutdown.
  void session_started();
  void session_ended();

  Options options;
  Listener& listener;
  Observer& observer;
  SteadyClock clock;
  std::atomic<bool> stopping{false};

  std::optional<asio::io_context> ioc;
  std::optional<tcp::acceptor> acceptor;
  std::uint16_t bound_port = 0;

  mutable std::shared_mutex functions_mu;
  std::unordered_map<std::string, std::shared_ptr<FunctionEntry>> functions;

  // Idle client connections register a cancel hook so shutdown can close them.
  std::mutex sessions_mu;
  std::condition_variable sessions_cv;
  std::size_t active_sessions = 0;
  std::unordered_map<std::uint64_t, std::function<void()>> idle_closers;
  std::uint64_t session_counter = 0;

private:
  std::atomic<Token> token_counter_{0};
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool shut_down_ = false;
};

// Defined in session.cpp: serves one client connection until it closes.
void run_session(std::shared_ptr<Gateway::Impl> impl, tcp::socket socket);
// Defined in probe.cpp.
void run_probe(std::shared_ptr<Gateway::Impl> impl, ReplicaEndpoint endpoint, std::string path,
               std::chrono::milliseconds interval, std::chrono::steady_clock::time_point deadline,
               std::function<void(bool, std::string)> done);

tcp::endpoint endpoint_address(const ReplicaEndpoint& e);
// Opens `socket` for a replica: inside `ns` when set, else in the gateway's own namespace.
boost::system::error_code open_socket(tcp::socket& socket, const Netns* ns);

}  // namespace svl::gateway
