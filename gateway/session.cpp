// One client connection: read a request header, pick a replica (or hold), forward the request
// and stream the response back; repeat while keep-alive. Session I/O only: routing, header
// rewriting and error bodies are free functions (routing.hpp, proxy_headers.hpp), dispatch
// decisions are the Dispatcher's.
//
// Timeouts: instead of arming a timer per operation, each session has one watchdog timer that
// ticks while the session is busy (and slowly when idle) and compares the clock with the current
// deadline; on expiry it cancels the socket operations and records which phase expired. That
// costs nothing per request, gives 408 (the socket stays open to answer) and also lets the
// watchdog notice a client that went away while its request waits on a replica.
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include "gateway/error.hpp"
#include "gateway/gateway_impl.hpp"
#include "gateway/proxy_headers.hpp"
#include "gateway/request_id.hpp"
#include "gateway/routing.hpp"

namespace svl::gateway {

namespace beast = boost::beast;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t small_body = 64 * 1024;    // read whole and sent in one write
constexpr std::size_t relay_buffer = 64 * 1024;    // per direction while streaming
constexpr auto busy_tick = std::chrono::milliseconds(50);
constexpr auto idle_tick = std::chrono::milliseconds(1000);
constexpr auto write_timeout = std::chrono::seconds(30);

enum class Phase { idle, header, client_body, held, connect, upstream, upstream_body, client_write, tunnel };

using Clock = std::chrono::steady_clock;

// 0: still there or unknown, 1: gone (EOF or error), without consuming anything.
bool peer_gone(tcp::socket& s) {
  char c;
  const auto n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  return false;
}

bool has_pending_bytes(tcp::socket& s) {
  char c;
  return ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

struct Session : std::enable_shared_from_this<Session> {
  Session(std::shared_ptr<Gateway::Impl> i, Worker& w, tcp::socket s)
      : impl(std::move(i)), worker(w), client(std::move(s)), timer(client.get_executor()) {
    timer.expires_at(Clock::now() + idle_tick);
    boost::system::error_code ec;
    auto ep = client.remote_endpoint(ec);
    client_ip = ec ? std::string("unknown") : ep.address().to_string();
  }

  void arm(Clock::duration d, Phase p) {
    phase = p;
    fired.reset();
    deadline = Clock::now() + d;
    if (timer.expiry() > deadline) timer.expires_at(deadline);  // rare: only when earlier than the tick
  }
  void busy(Phase p) {  // no deadline of its own (e.g. held: the hold has one)
    phase = p;
    fired.reset();
    deadline = Clock::time_point::max();
    if (timer.expiry() > Clock::now() + busy_tick) timer.expires_after(busy_tick);
  }
  void cancel_all() {
    boost::system::error_code ignored;
    client.cancel(ignored);
    if (upstream) upstream->socket.cancel(ignored);
    if (waiter) waiter->timer.cancel();
    if (conn_waiter) conn_waiter->timer.cancel();
  }

  std::shared_ptr<Gateway::Impl> impl;
  Worker& worker;  // where the connection was accepted; everything it touches stays there
  tcp::socket client;
  beast::flat_buffer buffer;
  asio::steady_timer timer;
  Clock::time_point deadline = Clock::time_point::max();
  Phase phase = Phase::header;
  std::optional<Phase> fired;
  bool client_gone = false;
  bool done = false;
  std::uint64_t id = 0;
  UpstreamConnection* upstream = nullptr;
  Waiter* waiter = nullptr;
  ConnectionWaiter* conn_waiter = nullptr;
  std::string client_ip;
};

asio::awaitable<void> watchdog(std::shared_ptr<Session> s) {
  while (!s->done) {
    auto [ec] = co_await s->timer.async_wait(nothrow);
    if (s->done) break;
    if (ec == asio::error::operation_aborted) continue;  // moved earlier by arm(): wait again
    const auto now = Clock::now();
    if (now >= s->deadline) {
      s->fired = s->phase;
      s->deadline = Clock::time_point::max();
      s->cancel_all();
    } else if (s->phase == Phase::idle && has_pending_bytes(s->client)) {
      // A keep-alive connection started a request: the header now has header_timeout to arrive.
      s->phase = Phase::header;
      s->deadline = std::min(s->deadline, now + s->impl->options.header_timeout);
    } else if ((s->phase == Phase::held || s->phase == Phase::upstream) && !s->client_gone && peer_gone(s->client)) {
      s->client_gone = true;  // nobody will read the answer: cancel the upstream request
      s->cancel_all();
    }
    const auto tick = s->phase == Phase::idle ? idle_tick : busy_tick;
    s->timer.expires_at(std::min(s->deadline, now + tick));
  }
}

struct Outcome {
  unsigned status = 0;
  bool keep_alive = false;
};

// The gateway's own answer. Keeps the connection only when the request had no unread body.
asio::awaitable<Outcome> respond_error(Session& s, http::status status, Error error, std::string_view function,
                                       std::string_view request_id, std::string_view detail, bool keep_alive,
                                       unsigned version, bool retry_after = false) {
  s.impl->observer.on_rejected(std::string(function), reason_label(error));
  keep_alive = keep_alive && !s.impl->stopping.load();
  auto res = make_error_response(status, reason_label(error), function, request_id, detail, keep_alive, version);
  if (retry_after) res.set(http::field::retry_after, "1");
  s.arm(write_timeout, Phase::client_write);
  auto [ec, n] = co_await http::async_write(s.client, res, nothrow);
  co_return Outcome{static_cast<unsigned>(status), keep_alive && !ec};
}

// Streams a message body from `in` to `out` through a fixed buffer (Beast's relay pattern with
// buffer_body): bounded memory for any size, chunks forwarded as they arrive (SSE), chunked
// framing kept because the serializer re-encodes what the header says.
enum class RelayError { none, read, write };
struct RelayResult {
  RelayError where = RelayError::none;
  boost::system::error_code ec;
};

template <bool isRequest>
asio::awaitable<RelayResult> relay_body(Session& s, tcp::socket& in, beast::flat_buffer& in_buffer,
                                       http::parser<isRequest, http::buffer_body>& p, tcp::socket& out,
                                       Phase read_phase, Clock::duration read_timeout, bool header_written) {
  std::unique_ptr<char[]> buf(new char[relay_buffer]);
  http::serializer<isRequest, http::buffer_body> sr{p.get()};
  if (!header_written) {
    p.get().body().data = nullptr;
    p.get().body().more = true;
    s.arm(write_timeout, Phase::client_write);
    auto [ec, n] = co_await http::async_write_header(out, sr, nothrow);
    if (ec) co_return RelayResult{RelayError::write, ec};
  }
  do {
    if (!p.is_done()) {
      p.get().body().data = buf.get();
      p.get().body().size = relay_buffer;
      s.arm(read_timeout, read_phase);
      auto [ec, n] = co_await http::async_read_some(in, in_buffer, p, nothrow);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return RelayResult{RelayError::read, ec};
      const auto got = relay_buffer - p.get().body().size;
      if (got == 0 && !p.is_done()) continue;  // only framing parsed (e.g. a chunk header): an empty
                                               // buffer must not reach a chunked serializer
      p.get().body().size = got;
      p.get().body().data = got ? buf.get() : nullptr;
      p.get().body().more = !p.is_done();
    } else {
      p.get().body().data = nullptr;
      p.get().body().size = 0;
    }
    s.arm(write_timeout, Phase::client_write);
    auto [ec, n] = co_await http::async_write(out, sr, nothrow);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return RelayResult{RelayError::write, ec};
  } while (!p.is_done() || !sr.is_done());
  co_return RelayResult{};
}

// Copies bytes one way until EOF or error, for upgraded (WebSocket) connections.
asio::awaitable<void> pump(Session& s, tcp::socket& from, tcp::socket& to) {
  std::unique_ptr<char[]> buf(new char[relay_buffer]);
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buf.get(), relay_buffer), nothrow);
    if (ec) break;
    s.arm(s.impl->options.idle_timeout, Phase::tunnel);
    auto [wec, wn] = co_await asio::async_write(to, asio::buffer(buf.get(), n), nothrow);
    if (wec) break;
  }
  boost::system::error_code ignored;
  to.shutdown(tcp::socket::shutdown_send, ignored);
}

struct RequestState {
  std::shared_ptr<FunctionEntry> entry;
  FunctionRoute route;  // a copy: limits as of admission
  Route target;
  std::string request_id;
  Token token = 0;
  bool client_keep_alive = true;
  bool has_body = false;
  bool upgrade = false;
  bool expect_continue = false;
  bool idempotent = false;
  unsigned version = 11;
  http::verb method = http::verb::get;
  // Exactly one body representation once dispatched.
  std::optional<http::request<http::string_body>> small;
  std::optional<http::request_parser<http::buffer_body>> stream;
  bool body_prepared = false;
  bool was_held = false;  // released from the hold queue, with the rest of a burst
};

enum class Forwarded { keep, close, connect_failed };

// Writes the request header and body to the replica. Returns false on failure (`fail` says why).
enum class SendFailure { none, upstream, client };
struct SendResult {
  SendFailure failure = SendFailure::none;
  boost::system::error_code ec;
};

asio::awaitable<SendResult> send_request(Session& s, RequestState& rq, http::request_parser<http::empty_body>& parser,
                                          UpstreamConnection& conn) {
  auto& impl = *s.impl;
  s.arm(rq.route.upstream_timeout, Phase::upstream);
  if (rq.small) {
    auto [ec, n] = co_await http::async_write(conn.socket, *rq.small, nothrow);
    co_return SendResult{ec ? SendFailure::upstream : SendFailure::none, ec};
  }
  if (rq.stream) {
    auto r = co_await relay_body<true>(s, s.client, s.buffer, *rq.stream, conn.socket, Phase::client_body,
                                       impl.options.idle_timeout, false);
    if (r.where == RelayError::none) co_return SendResult{};
    co_return SendResult{r.where == RelayError::read ? SendFailure::client : SendFailure::upstream, r.ec};
  }
  auto [ec, n] = co_await http::async_write(conn.socket, parser.get(), nothrow);
  co_return SendResult{ec ? SendFailure::upstream : SendFailure::none, ec};
}

// Reads a small body whole, or turns the parser into a streaming one. Once per request.
asio::awaitable<bool> prepare_body(Session& s, RequestState& rq, http::request_parser<http::empty_body>& parser) {
  rq.body_prepared = true;
  if (!rq.has_body) co_return true;
  if (rq.expect_continue) {
    static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
    s.arm(write_timeout, Phase::client_write);
    auto [ec, n] = co_await asio::async_write(s.client, asio::buffer(cont.data(), cont.size()), nothrow);
    if (ec) co_return false;
  }
  if (!parser.chunked() && parser.content_length() && *parser.content_length() <= small_body) {
    http::request_parser<http::string_body> sp{std::move(parser)};
    s.arm(s.impl->options.idle_timeout, Phase::client_body);
    auto [ec, n] = co_await http::async_read(s.client, s.buffer, sp, nothrow);
    if (ec) co_return false;
    rq.small.emplace(sp.release());
  } else {
    rq.stream.emplace(std::move(parser));
  }
  co_return true;
}

// The client's request body could not be read: too large (chunked), stalled, malformed or gone.
asio::awaitable<unsigned> client_body_failed(Session& s, RequestState& rq, boost::system::error_code ec) {
  if (s.client_gone || ec == asio::error::eof || ec == http::error::partial_message ||
      ec == asio::error::connection_reset)
    co_return 499;
  if (ec == http::error::body_limit) {
    const std::string detail = "request body over " + std::to_string(rq.route.max_body) + " bytes";
    auto o = co_await respond_error(s, http::status::payload_too_large, Error::body_too_large, rq.target.function,
                                    rq.request_id, detail, false, rq.version);
    co_return o.status;
  }
  if (s.fired) {
    auto o = co_await respond_error(s, http::status::request_timeout, Error::header_timeout, rq.target.function,
                                    rq.request_id, "the request body stalled", false, rq.version);
    co_return o.status;
  }
  const std::string detail = "malformed request body: " + ec.message();
  auto o = co_await respond_error(s, http::status::bad_request, Error::bad_request, rq.target.function, rq.request_id,
                                  detail, false, rq.version);
  co_return o.status;
}

// An idle connection to the replica, or a fresh one to connect. A request released from the hold
// queue may instead wait for one that another request gives back (max_connections_per_replica):
// the burst released onto a replica that has just woken then shares a few connections. Requests
// dispatched at once never wait: in steady state the pool grows to the concurrency instead (waiting
// there cost 9 % of throughput and 9 % more CPU per request, bench/gateway at 64 connections).
struct TakenConnection {
  std::unique_ptr<UpstreamConnection> conn;
  bool client_gone = false;  // while it waited
};

asio::awaitable<TakenConnection> take_connection(Session& s, RequestState& rq, ReplicaPool& pool) {
  auto& impl = *s.impl;
  bool may_wait = rq.was_held;
  for (;;) {
    auto got = impl.acquire(s.worker, pool, may_wait);
    auto conn = std::move(got.conn);
    if (got.waiter) {
      // Waits while the replica keeps giving connections back; a slow one (none back within
      // connection_reuse_wait) gets a new connection per request instead.
      s.arm(impl.options.connect_timeout, Phase::connect);
      s.conn_waiter = got.waiter.get();
      got.waiter->timer.expires_after(impl.options.connection_reuse_wait);
      for (;;) {
        co_await got.waiter->timer.async_wait(nothrow);
        auto waited = impl.check_connection_waiter(s.worker, pool, got.waiter, s.client_gone || s.fired.has_value());
        if (!waited.again_at) {
          conn = std::move(waited.conn);
          break;
        }
        got.waiter->timer.expires_at(*waited.again_at);
      }
      s.conn_waiter = nullptr;
      if (s.client_gone) {
        if (conn) impl.give_back(s.worker, pool, std::move(conn));
        co_return TakenConnection{nullptr, true};
      }
      if (!conn) {  // none came back in time: open one after all
        may_wait = false;
        continue;
      }
    }
    // A pooled connection the replica may have closed meanwhile (idle for a while) is checked and
    // dropped here instead of failing later. Busy ones skip the extra syscall.
    if (!conn->fresh && Clock::now() - conn->idle_since > std::chrono::milliseconds(500) && peer_gone(conn->socket))
      continue;
    co_return TakenConnection{std::move(conn), false};
  }
}

// Sends the request to one replica and relays the answer.
asio::awaitable<Forwarded> forward(Session& s, RequestState& rq, http::request_parser<http::empty_body>& parser,
                                   ReplicaPool& pool, Outcome& outcome) {
  auto& impl = *s.impl;
  // The watchdog may cancel s.upstream: it must never outlive `conn`, whatever path returns.
  struct ForgetUpstream {
    Session& s;
    ~ForgetUpstream() { s.upstream = nullptr; }
  } forget{s};
  std::unique_ptr<UpstreamConnection> conn;
  std::optional<http::response_parser<http::empty_body>> rpo;
  for (int attempt = 0;; ++attempt) {
    auto taken = co_await take_connection(s, rq, pool);
    if (taken.client_gone) {
      outcome.status = 499;
      co_return Forwarded::close;
    }
    conn = std::move(taken.conn);
    if (conn->fresh) {
      conn->fresh = false;
      s.upstream = conn.get();
      // A namespace that could not be opened (the sandbox is gone) fails at once, like a refusal.
      if (!pool.unreachable.empty() || open_socket(conn->socket, pool.netns.get())) co_return Forwarded::connect_failed;
      s.arm(impl.options.connect_timeout, Phase::connect);
      auto [ec] = co_await conn->socket.async_connect(pool.address, nothrow);
      s.upstream = nullptr;
      if (s.client_gone) {
        outcome.status = 499;
        co_return Forwarded::close;
      }
      if (ec || s.fired) co_return Forwarded::connect_failed;  // nothing was sent: retry elsewhere
      boost::system::error_code ignored;
      conn->socket.set_option(tcp::no_delay(true), ignored);
    }
    s.upstream = conn.get();

    if (!rq.body_prepared && !co_await prepare_body(s, rq, parser)) {
      s.upstream = nullptr;
      outcome.status = co_await client_body_failed(s, rq, {});
      co_return Forwarded::close;
    }

    const bool retryable = !rq.stream.has_value();
    if (impl.options.on_upstream_request) {
      boost::system::error_code lec;
      const auto local = conn->socket.local_endpoint(lec);
      impl.options.on_upstream_request(s.worker.index, lec ? std::uint16_t{0} : local.port());
    }
    const auto sent = co_await send_request(s, rq, parser, *conn);
    if (sent.failure == SendFailure::client) {
      s.upstream = nullptr;
      outcome.status = co_await client_body_failed(s, rq, sent.ec);
      co_return Forwarded::close;
    }
    if (sent.failure == SendFailure::upstream) {
      s.upstream = nullptr;
      if (conn->reused && retryable && attempt == 0 && !s.fired) continue;  // stale keep-alive connection
      if (s.fired == Phase::upstream) {
        auto o = co_await respond_error(s, http::status::gateway_timeout, Error::upstream_timeout, rq.target.function,
                                        rq.request_id, "the function did not take the request in time", false,
                                        rq.version);
        outcome.status = o.status;
      } else {
        auto o = co_await respond_error(s, http::status::bad_gateway, Error::upstream_reset, rq.target.function,
                                        rq.request_id, "the function closed the connection", false, rq.version);
        outcome.status = o.status;
      }
      co_return Forwarded::close;
    }

    // Response header; meanwhile the watchdog notices a client that left.
    rpo.emplace();
    auto& rp = *rpo;
    rp.header_limit(64 * 1024);
    rp.body_limit(boost::none);  // responses stream through unbuffered, any size
    if (rq.method == http::verb::head) rp.skip(true);
    s.arm(rq.route.upstream_timeout, Phase::upstream);
    auto [rec, rn] = co_await http::async_read_header(conn->socket, conn->buffer, rp, nothrow);
    if (!rec) break;
    s.upstream = nullptr;
    if (s.client_gone) {
      outcome.status = 499;
      co_return Forwarded::close;
    }
    if (s.fired == Phase::upstream) {
      auto o = co_await respond_error(s, http::status::gateway_timeout, Error::upstream_timeout, rq.target.function,
                                      rq.request_id, "the function did not answer in time", false, rq.version);
      outcome.status = o.status;
      co_return Forwarded::close;
    }
    if (conn->reused && retryable && rq.idempotent && attempt == 0 && conn->buffer.size() == 0) {
      continue;
    }
    const bool keep = rq.client_keep_alive && !rq.stream;
    const std::string detail = "the function closed the connection: " + rec.message();
    auto o = co_await respond_error(s, http::status::bad_gateway, Error::upstream_reset, rq.target.function,
                                    rq.request_id, detail, keep, rq.version);
    outcome.status = o.status;
    co_return o.keep_alive ? Forwarded::keep : Forwarded::close;
  }

  auto& rp = *rpo;
  auto& res = rp.get();
  outcome.status = res.result_int();
  const bool upstream_keep = rp.keep_alive() && !rp.need_eof();

  // WebSocket (or any) upgrade accepted: tunnel bytes both ways until either side closes.
  if (rq.upgrade && res.result() == http::status::switching_protocols) {
    prepare_client_response(res, rq.request_id, false, true);
    s.arm(write_timeout, Phase::client_write);
    auto [ec, n] = co_await http::async_write(s.client, res, nothrow);
    if (ec) {
      s.upstream = nullptr;
      co_return Forwarded::close;
    }
    if (conn->buffer.size() > 0) {
      auto [e2, n2] = co_await asio::async_write(s.client, conn->buffer.data(), nothrow);
      if (e2) co_return Forwarded::close;
      conn->buffer.consume(conn->buffer.size());
    }
    if (s.buffer.size() > 0) {
      auto [e3, n3] = co_await asio::async_write(conn->socket, s.buffer.data(), nothrow);
      if (e3) co_return Forwarded::close;
      s.buffer.consume(s.buffer.size());
    }
    s.arm(impl.options.idle_timeout, Phase::tunnel);
    co_await (pump(s, s.client, conn->socket) && pump(s, conn->socket, s.client));
    s.upstream = nullptr;
    co_return Forwarded::close;
  }

  // A close-delimited body goes to an HTTP/1.1 client chunked so the connection can stay open.
  bool client_keep = rq.client_keep_alive && !impl.stopping.load();
  if (!rp.is_done() && !rp.chunked() && !rp.content_length()) {
    if (rq.version == 11)
      res.chunked(true);
    else
      client_keep = false;
  }
  prepare_client_response(res, rq.request_id, client_keep, false);
  res.version(rq.version == 10 ? 10 : 11);

  bool response_complete = true;
  if (rp.is_done()) {
    s.arm(write_timeout, Phase::client_write);
    auto [ec, n] = co_await http::async_write(s.client, res, nothrow);
    if (ec) client_keep = false;
  } else if (rp.content_length() && *rp.content_length() <= small_body) {
    http::response_parser<http::string_body> sp{std::move(rp)};
    s.arm(rq.route.upstream_timeout, Phase::upstream_body);
    auto [ec, n] = co_await http::async_read(conn->socket, conn->buffer, sp, nothrow);
    if (ec) {
      response_complete = false;  // the client gets a truncated answer: close it
      client_keep = false;
    } else {
      s.arm(write_timeout, Phase::client_write);
      auto [wec, wn] = co_await http::async_write(s.client, sp.get(), nothrow);
      if (wec) client_keep = false;
    }
  } else {
    http::response_parser<http::buffer_body> bp{std::move(rp)};
    auto r = co_await relay_body<false>(s, conn->socket, conn->buffer, bp, s.client, Phase::upstream_body,
                                        rq.route.upstream_timeout, false);
    if (r.where != RelayError::none) {
      response_complete = false;
      client_keep = false;
    }
  }
  s.upstream = nullptr;
  if (response_complete && upstream_keep && conn->buffer.size() == 0 && !s.client_gone)
    impl.give_back(s.worker, pool, std::move(conn));
  co_return client_keep ? Forwarded::keep : Forwarded::close;
}

// One request whose header has been read. Returns whether the connection stays open.
asio::awaitable<bool> handle_request(Session& s, http::request_parser<http::empty_body>& parser,
                                     Clock::time_point t0) {
  auto& impl = *s.impl;
  auto& req = parser.get();
  RequestState rq;
  rq.request_id = request_id_for(req);
  rq.client_keep_alive = req.keep_alive();
  rq.version = req.version();
  rq.method = req.method();
  rq.has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
  rq.upgrade = is_websocket_upgrade(req);
  rq.idempotent = rq.method == http::verb::get || rq.method == http::verb::head ||
                  rq.method == http::verb::options || rq.method == http::verb::put ||
                  rq.method == http::verb::delete_;
  if (auto it = req.find(http::field::expect); it != req.end()) {
    rq.expect_continue = beast::iequals(it->value(), "100-continue");
    req.erase(http::field::expect);
  }
  // Without the body read we cannot find the next request on this connection.
  const bool keep_if_refused = rq.client_keep_alive && !rq.has_body;

  auto done = [&](const std::string& fn, unsigned status, double held) {
    impl.observer.on_request_done(fn, status, std::chrono::duration<double>(Clock::now() - t0).count(), held);
  };

  std::array<std::string_view, 2> hosts;  // two are enough to refuse a duplicate; no allocation
  std::size_t host_count = 0;
  for (auto [it, end] = req.equal_range(http::field::host); it != end && host_count < hosts.size(); ++it)
    hosts[host_count++] = it->value();
  auto decision = route_request(std::span(hosts.data(), host_count), rq.version, req.target(), impl.options.domains,
                                impl.custom_domains(s.worker));
  if (!decision.error.empty()) {  // closed, like the parser's 400s
    auto o = co_await respond_error(s, http::status::bad_request, Error::bad_request, "", rq.request_id,
                                    decision.error, false, rq.version);
    done("", o.status, 0);
    co_return false;
  }
  auto& route = decision.route;
  const CachedFunction* cached = route ? impl.find_function(s.worker, route->function) : nullptr;
  rq.entry = cached ? cached->entry : nullptr;
  if (!rq.entry) {
    const std::string fn = route ? route->function : std::string();
    const std::string_view detail = route ? "no such function" : "no function named by Host or /fn/NAME path";
    auto o = co_await respond_error(s, http::status::not_found, Error::unknown_function, fn, rq.request_id, detail,
                                    keep_if_refused, rq.version);
    done(fn, o.status, 0);
    co_return o.keep_alive;
  }
  rq.target = std::move(*route);
  rq.route = cached->route;  // the worker's copy: no lock
  const auto& fn = rq.route.name;
  if (parser.content_length() && *parser.content_length() > rq.route.max_body) {
    const std::string detail = "request body over " + std::to_string(rq.route.max_body) + " bytes";
    auto o = co_await respond_error(s, http::status::payload_too_large, Error::body_too_large, fn, rq.request_id,
                                    detail, false, rq.version);
    done(fn, o.status, 0);
    co_return false;
  }
  parser.body_limit(rq.route.max_body);
  prepare_upstream_request(req, rq.target, rq.request_id, s.client_ip, rq.upgrade);

  rq.token = impl.next_token(s.worker);
  std::shared_ptr<Waiter> waiter;  // made only when the request has to wait
  const auto held_since = Clock::now();
  double held_seconds = 0;
  auto result = impl.admit(rq.entry, rq.token, s.client.get_executor(), waiter);
  for (;;) {
    if (result.outcome == Waiter::Outcome::waiting) {
      s.waiter = waiter.get();
      s.busy(Phase::held);
      const auto hold_deadline = Clock::now() + rq.route.start_timeout;
      while (result.outcome == Waiter::Outcome::waiting) {
        waiter->timer.expires_at(hold_deadline);
        co_await waiter->timer.async_wait(nothrow);
        result = impl.check_waiter(rq.entry, rq.token, waiter, s.client_gone);
      }
      s.waiter = nullptr;
      rq.was_held = true;
      held_seconds += std::chrono::duration<double>(Clock::now() - held_since).count();
    }
    switch (result.outcome) {
      case Waiter::Outcome::waiting:
        break;  // not reached
      case Waiter::Outcome::queue_full: {
        auto o = co_await respond_error(s, http::status::service_unavailable, Error::queue_full, fn, rq.request_id,
                                        "too many requests waiting for this function", keep_if_refused, rq.version,
                                        true);
        done(fn, o.status, held_seconds);
        co_return o.keep_alive;
      }
      case Waiter::Outcome::timed_out: {
        std::string detail = "the function did not become ready within " +
                             std::to_string(rq.route.start_timeout.count()) + " ms";
        if (!result.message.empty()) detail += ": " + result.message;
        auto o = co_await respond_error(s, http::status::gateway_timeout, Error::start_timeout, fn, rq.request_id,
                                        detail, keep_if_refused, rq.version);
        done(fn, o.status, held_seconds);
        co_return o.keep_alive;
      }
      case Waiter::Outcome::failed: {
        if (result.status == 499) {  // the client left while held
          done(fn, 499, held_seconds);
          co_return false;
        }
        const auto status = static_cast<http::status>(result.status ? result.status : 503);
        const std::string detail = result.message.empty() ? std::string("the function cannot start") : result.message;
        auto o = co_await respond_error(s, status, Error::held_failed, fn, rq.request_id, detail, keep_if_refused,
                                        rq.version, status == http::status::service_unavailable);
        done(fn, o.status, held_seconds);
        co_return o.keep_alive;
      }
      case Waiter::Outcome::dispatched:
        break;
    }
    auto pool = result.replica;
    if (!pool) {  // the replica vanished between decision and use: count it as unreachable
      result = impl.connect_failed(rq.entry, rq.token, std::string(), s.client.get_executor(), waiter);
      continue;
    }
    Outcome outcome;
    auto f = co_await forward(s, rq, parser, *pool, outcome);
    if (f == Forwarded::connect_failed) {
      result = impl.connect_failed(rq.entry, rq.token, pool->endpoint.id, s.client.get_executor(), waiter);
      continue;
    }
    impl.finished(rq.entry, rq.token, pool->endpoint.id);
    done(fn, outcome.status, held_seconds);
    co_return f == Forwarded::keep;
  }
}

asio::awaitable<void> serve(std::shared_ptr<Session> s) {
  auto& impl = *s->impl;
  bool first = true;
  for (;;) {
    if (impl.stopping.load()) break;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(impl.options.max_header_bytes));
    parser.body_limit(boost::none);  // checked against the function's limit once it is known
    if (first || s->buffer.size() > 0)
      s->arm(impl.options.header_timeout, Phase::header);
    else
      s->arm(impl.options.idle_timeout, Phase::idle);
    auto [ec, n] = co_await http::async_read_header(s->client, s->buffer, parser, nothrow);
    const auto t0 = Clock::now();
    if (ec) {
      if (s->fired == Phase::header) {
        const std::string id = generate_request_id();
        co_await respond_error(*s, http::status::request_timeout, Error::header_timeout, "", id,
                               "the request header did not arrive in time", false, 11);
        impl.observer.on_request_done("", 408, 0, 0);
      } else if (ec == http::error::header_limit) {
        const std::string id = generate_request_id();
        co_await respond_error(*s, http::status::request_header_fields_too_large, Error::header_too_large, "", id,
                               "request header over the limit", false, 11);
        impl.observer.on_request_done("", 431, 0, 0);
      } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                 ec != http::error::end_of_stream && ec != http::error::partial_message) {
        const std::string id = generate_request_id();
        const std::string detail = ec.message();
        co_await respond_error(*s, http::status::bad_request, Error::bad_request, "", id, detail, false, 11);
        impl.observer.on_request_done("", 400, 0, 0);
      }
      break;  // eof, reset, idle timeout, shutdown: close quietly
    }
    first = false;
    s->phase = Phase::client_body;
    if (!co_await handle_request(*s, parser, t0)) break;
  }
  {
    std::lock_guard lock(impl.sessions_mu);
    impl.idle_closers.erase(s->id);
  }
  boost::system::error_code ignored;
  s->client.shutdown(tcp::socket::shutdown_send, ignored);
  s->client.close(ignored);
  s->done = true;
  s->timer.cancel();
}

}  // namespace

void run_session(std::shared_ptr<Gateway::Impl> impl, Worker& worker, tcp::socket socket) {
  impl->session_started();
  auto s = std::make_shared<Session>(impl, worker, std::move(socket));
  {
    // Shutdown closes connections that sit idle between requests; busy ones finish first.
    std::lock_guard lock(impl->sessions_mu);
    s->id = ++impl->session_counter;
    impl->idle_closers[s->id] = [w = std::weak_ptr<Session>(s)] {
      if (auto sp = w.lock())
        asio::post(sp->client.get_executor(), [sp] {
          if (sp->phase == Phase::idle || (sp->phase == Phase::header && sp->buffer.size() == 0)) sp->cancel_all();
        });
    };
  }
  auto ex = s->client.get_executor();
  asio::co_spawn(ex, watchdog(s), asio::detached);
  asio::co_spawn(ex, serve(s), [impl](std::exception_ptr) { impl->session_ended(); });
}

}  // namespace svl::gateway
