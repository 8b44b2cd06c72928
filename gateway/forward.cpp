// Forwarding one request to a replica: an upstream connection from the worker's pool (or a new
// one, made inside the replica's network namespace), the request and its body out, the answer
// streamed back. Upgrades become a two-way tunnel.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>

#include "gateway/proxy_headers.hpp"
#include "gateway/session.hpp"

namespace svl::gateway::session {

using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t relay_buffer = 64 * 1024;    // per direction while streaming

// Streams a message body from `in` to `out` through a fixed buffer (Beast's relay pattern with
// buffer_body): bounded memory for any size, chunks forwarded as they arrive (SSE), chunked
// framing kept because the serializer re-encodes what the header says.
enum class RelayError { none, read, write };
struct RelayResult {
  RelayError where = RelayError::none;
  boost::system::error_code ec;
};

template <bool isRequest, class In, class Out>
asio::awaitable<RelayResult> relay_body(Session& s, In& in, beast::flat_buffer& in_buffer,
                                       http::parser<isRequest, http::buffer_body>& p, Out& out,
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
template <class From, class To>
asio::awaitable<void> pump(Session& s, From& from, To& to) {
  std::unique_ptr<char[]> buf(new char[relay_buffer]);
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buf.get(), relay_buffer), nothrow);
    if (ec) break;
    s.arm(s.impl->options.idle_timeout, Phase::tunnel);
    auto [wec, wn] = co_await asio::async_write(to, asio::buffer(buf.get(), n), nothrow);
    if (wec) break;
  }
  boost::system::error_code ignored;
  lowest_layer(to).shutdown(tcp::socket::shutdown_send, ignored);
}

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

}  // namespace

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
  add_hsts(s, res);
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

}  // namespace svl::gateway::session
