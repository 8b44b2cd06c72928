// The plain port's own answers when HTTPS is on: ACME HTTP-01 challenges from the webroot that
// certbot writes to (read on the gateway's disk thread, never a worker), and 308 to https.
#include <fstream>
#include <iterator>

#include <boost/asio/co_spawn.hpp>

#include "gateway/plain_http.hpp"
#include "gateway/proxy_headers.hpp"
#include "gateway/session.hpp"

namespace svl::gateway::session {

namespace {

constexpr std::size_t max_challenge_bytes = 4096;  // a key authorization is under 100 bytes

// The file's contents; nullopt when it is missing, unreadable or too large.
asio::awaitable<std::optional<std::string>> read_challenge(std::filesystem::path file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) co_return std::nullopt;
  std::string body(max_challenge_bytes + 1, '\0');
  in.read(body.data(), static_cast<std::streamsize>(body.size()));
  const auto n = static_cast<std::size_t>(in.gcount());
  if (n > max_challenge_bytes) co_return std::nullopt;
  body.resize(n);
  co_return body;
}

template <class Response>
asio::awaitable<Outcome> write_answer(Session& s, Response& res) {
  s.arm(write_timeout, Phase::client_write);
  auto [ec, n] = co_await http::async_write(s.client, res, nothrow);
  co_return Outcome{res.result_int(), res.keep_alive() && !ec};
}

}  // namespace

asio::awaitable<std::optional<Outcome>> answer_on_plain_port(Session& s, http::request<http::empty_body>& req,
                                                             std::string_view host, const RequestState& rq,
                                                             bool keep_if_refused) {
  auto& impl = *s.impl;
  const bool keep = keep_if_refused && !impl.stopping.load();
  if (!impl.options.acme_webroot.empty()) {
    if (auto challenge = acme_challenge(req.target(), impl.options.acme_webroot)) {
      if (!challenge->error.empty())
        co_return co_await respond_error(s, http::status::not_found, Error::unknown_function, "", rq.request_id,
                                         challenge->error, keep_if_refused, rq.version);
      s.busy(Phase::client_body);
      auto body = co_await asio::co_spawn(impl.disk, read_challenge(challenge->file), asio::use_awaitable);
      if (!body)
        co_return co_await respond_error(s, http::status::not_found, Error::unknown_function, "", rq.request_id,
                                         "no such ACME challenge", keep_if_refused, rq.version);
      auto res = make_text_response(std::move(*body), rq.request_id, keep, rq.version);
      co_return co_await write_answer(s, res);
    }
  }
  if (impl.options.redirect_http && impl.bound_tls_port && !rq.internal) {
    auto res = make_redirect_response(https_location(host, req.target(), impl.bound_tls_port), rq.request_id, keep,
                                      rq.version);
    co_return co_await write_answer(s, res);
  }
  co_return std::nullopt;
}

}  // namespace svl::gateway::session
