// One client connection: read a request header, pick a replica (or hold), forward the request
// and stream the response back; repeat while keep-alive. Session I/O only: routing, header
// rewriting and error bodies are free functions (routing.hpp, proxy_headers.hpp), dispatch
// decisions are the Dispatcher's. Timeouts: session.hpp.
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "gateway/proxy_headers.hpp"
#include "gateway/svl_calls.hpp"
#include "gateway/request_id.hpp"
#include "gateway/session.hpp"

namespace svl::gateway {

namespace session {

bool peer_gone(tcp::socket& s) {
  // POLLRDHUP, not a peeked read of 0 bytes: a TLS client that leaves sends close_notify before
  // its FIN, and the peek would see that alert's bytes instead.
  pollfd p{s.native_handle(), POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

// The gateway's own answer. Keeps the connection only when the request had no unread body.
asio::awaitable<Outcome> respond_error(Session& s, http::status status, Error error, std::string_view function,
                                       std::string_view request_id, std::string_view detail, bool keep_alive,
                                       unsigned version, bool retry_after) {
  s.impl->observer.on_rejected(std::string(function), reason_label(error));
  keep_alive = keep_alive && !s.impl->stopping.load();
  auto res = make_error_response(status, reason_label(error), function, request_id, detail, keep_alive, version);
  add_hsts(s, res);
  if (retry_after) res.set(http::field::retry_after, "1");
  s.arm(write_timeout, Phase::client_write);
  auto [ec, n] = co_await http::async_write(s.client, res, nothrow);
  co_return Outcome{static_cast<unsigned>(status), keep_alive && !ec};
}

namespace {

bool has_pending_bytes(tcp::socket& s) {
  char c;
  return ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

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
    } else if (s->phase == Phase::idle && has_pending_bytes(s->client.socket())) {
      // A keep-alive connection started a request: the header now has header_timeout to arrive.
      s->phase = Phase::header;
      s->deadline = std::min(s->deadline, now + s->impl->options.header_timeout);
    } else if ((s->phase == Phase::held || s->phase == Phase::upstream) && !s->client_gone && peer_gone(s->client.socket())) {
      s->client_gone = true;  // nobody will read the answer: cancel the upstream request
      s->cancel_all();
    }
    const auto tick = s->phase == Phase::idle ? idle_tick : busy_tick;
    s->timer.expires_at(std::min(s->deadline, now + tick));
  }
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
  rq.internal = is_internal(header_value(req, internal_header), impl.options.internal_token);
  if (!rq.internal) req.erase(cron_header);  // only svl says a call is a cron trigger's

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
  if (!s.client.is_tls() && !s.from_bridge) {  // a function's own call is neither redirected nor an ACME check
    const auto answered =
        co_await answer_on_plain_port(s, req, host_count ? hosts[0] : std::string_view{}, rq, keep_if_refused);
    if (answered) {
      done("", answered->status, 0);
      co_return answered->keep_alive;
    }
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
  if (rq.internal) {
    if (auto timeout = internal_timeout(header_value(req, timeout_header))) rq.route.upstream_timeout = *timeout;
  } else if (names_private_path(rq.route.private_paths, rq.target.target.empty() ? std::string_view(req.target()) : std::string_view(rq.target.target))) {
    auto o = co_await respond_error(s, http::status::not_found, Error::unknown_function, fn, rq.request_id,
                                    "no such path", keep_if_refused, rq.version);
    done(fn, o.status, 0);
    co_return o.keep_alive;
  }
  if (parser.content_length() && *parser.content_length() > rq.route.max_body) {
    const std::string detail = "request body over " + std::to_string(rq.route.max_body) + " bytes";
    auto o = co_await respond_error(s, http::status::payload_too_large, Error::body_too_large, fn, rq.request_id,
                                    detail, false, rq.version);
    done(fn, o.status, 0);
    co_return false;
  }
  parser.body_limit(rq.route.max_body);
  prepare_upstream_request(req, rq.target, rq.request_id, s.client_ip, rq.upgrade, s.client.is_tls());

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
  const bool secured = !s->client.is_tls() || co_await tls_handshake(*s);
  while (secured) {
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
  if (secured && s->client.is_tls() && !s->client_gone) {
    // close_notify, so that the client knows the answer was whole (and may keep its session for
    // resumption); a reset or broken connection fails this at once.
    s->arm(tls_close_timeout, Phase::client_write);
    co_await s->client.tls().async_shutdown(nothrow);
  }
  boost::system::error_code ignored;
  s->client.socket().shutdown(tcp::socket::shutdown_send, ignored);
  s->client.socket().close(ignored);
  s->done = true;
  s->timer.cancel();
}

}  // namespace
}  // namespace session

using namespace session;

void run_session(std::shared_ptr<Gateway::Impl> impl, Worker& worker, tcp::socket socket, bool tls) {
  if (tls && !take_handshake_slot(*impl)) return;  // closed before a TLS stream is even allocated
  impl->session_started();
  auto s = std::make_shared<Session>(impl, worker,
                                     tls ? ClientStream(std::move(socket), *impl->tls_context)
                                         : ClientStream(std::move(socket)));
  {
    // Shutdown closes connections that sit idle between requests; busy ones finish first.
    std::lock_guard lock(impl->sessions_mu);
    s->id = ++impl->session_counter;
    impl->idle_closers[s->id] = [w = std::weak_ptr<Session>(s)] {
      if (auto sp = w.lock())
        asio::post(sp->client.get_executor(), [sp] {
          if (sp->phase == Phase::idle || sp->phase == Phase::handshake ||
              (sp->phase == Phase::header && sp->buffer.size() == 0))
            sp->cancel_all();
        });
    };
  }
  auto ex = s->client.get_executor();
  asio::co_spawn(ex, watchdog(s), asio::detached);
  asio::co_spawn(ex, serve(s), [impl](std::exception_ptr) { impl->session_ended(); });
}

}  // namespace svl::gateway