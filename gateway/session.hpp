#pragma once
// Internal to the session's .cpp files: one client connection's state (Session), shared by the
// request loop (session.cpp) and the forwarding to a replica (forward.cpp).
//
// Timeouts: instead of arming a timer per operation, each session has one watchdog timer that
// ticks while the session is busy (and slowly when idle) and compares the clock with the current
// deadline; on expiry it cancels the socket operations and records which phase expired. That
// costs nothing per request, gives 408 (the socket stays open to answer) and also lets the
// watchdog notice a client that went away while its request waits on a replica.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include "gateway/client_stream.hpp"
#include "gateway/error.hpp"
#include "gateway/gateway_impl.hpp"
#include "gateway/routing.hpp"

namespace svl::gateway::session {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t small_body = 64 * 1024;    // read whole and sent in one write
constexpr auto busy_tick = std::chrono::milliseconds(50);
constexpr auto idle_tick = std::chrono::milliseconds(1000);
constexpr auto write_timeout = std::chrono::seconds(30);
// For the TLS close_notify exchange at the end of a connection: a client that never answers ours
// holds its session this long at most.
constexpr auto tls_close_timeout = std::chrono::seconds(1);

enum class Phase { handshake, idle, header, client_body, held, connect, upstream, upstream_body, client_write, tunnel };

using Clock = std::chrono::steady_clock;

// Whether the peer has gone (closed or reset), without consuming anything.
bool peer_gone(tcp::socket& s);

inline tcp::socket& lowest_layer(tcp::socket& s) { return s; }
inline tcp::socket& lowest_layer(ClientStream& s) { return s.socket(); }

struct Session : std::enable_shared_from_this<Session> {
  Session(std::shared_ptr<Gateway::Impl> i, Worker& w, ClientStream s)
      : impl(std::move(i)), worker(w), client(std::move(s)), timer(client.get_executor()) {
    timer.expires_at(Clock::now() + idle_tick);
    boost::system::error_code ec;
    auto ep = client.socket().remote_endpoint(ec);
    client_ip = ec ? std::string("unknown") : ep.address().to_string();
    if (impl->bridge_address) from_bridge = client.socket().local_endpoint(ec).address() == *impl->bridge_address;
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
    client.socket().cancel(ignored);
    if (upstream) upstream->socket.cancel(ignored);
    if (waiter) waiter->timer.cancel();
    if (conn_waiter) conn_waiter->timer.cancel();
  }

  std::shared_ptr<Gateway::Impl> impl;
  Worker& worker;  // where the connection was accepted; everything it touches stays there
  ClientStream client;
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
  bool from_bridge = false;  // arrived on Options::bridge_address: a function calling another
};

struct Outcome {
  unsigned status = 0;
  bool keep_alive = false;
};

// The gateway's own answer. Keeps the connection only when the request had no unread body.
asio::awaitable<Outcome> respond_error(Session& s, http::status status, Error error, std::string_view function,
                                       std::string_view request_id, std::string_view detail, bool keep_alive,
                                       unsigned version, bool retry_after = false);

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
  bool internal = false;  // svl's own call (X-Svl-Internal carries the token)
  unsigned version = 11;
  http::verb method = http::verb::get;
  // Exactly one body representation once dispatched.
  std::optional<http::request<http::string_body>> small;
  std::optional<http::request_parser<http::buffer_body>> stream;
  bool body_prepared = false;
  bool was_held = false;  // released from the hold queue, with the rest of a burst
};

enum class Forwarded { keep, close, connect_failed };

// Strict-Transport-Security on an HTTPS answer, when configured.
template <class Fields>
void add_hsts(Session& s, Fields& fields) {
  if (s.client.is_tls() && s.impl->options.tls.hsts_max_age)
    fields.set(http::field::strict_transport_security, "max-age=" + std::to_string(s.impl->options.tls.hsts_max_age));
}

// Before a TLS connection gets a session: one of max_handshakes slots, or false (counted as
// overloaded; the caller closes it). tls_handshake gives the slot back.
bool take_handshake_slot(Gateway::Impl& impl);
// The TLS handshake of a connection accepted on the HTTPS port; false: closed (tls_session.cpp).
asio::awaitable<bool> tls_handshake(Session& s);

// On the plain port, before routing: the ACME webroot and the redirect to https. The answer
// given, or nullopt when the request goes on to a function (plain_port.cpp).
asio::awaitable<std::optional<Outcome>> answer_on_plain_port(Session& s, http::request<http::empty_body>& req,
                                                             std::string_view host, const RequestState& rq,
                                                             bool keep_if_refused);

// Sends the request to one replica and relays the answer (forward.cpp).
asio::awaitable<Forwarded> forward(Session& s, RequestState& rq, http::request_parser<http::empty_body>& parser,
                                   ReplicaPool& pool, Outcome& outcome);

}  // namespace svl::gateway::session
