#pragma once
// The request handler's pure part, apart from session I/O: how a client request header is
// rewritten for a replica, how a replica's response header is rewritten for the client, and the
// gateway's own JSON answers. Beast message types only; no sockets.
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "gateway/routing.hpp"

namespace svl::gateway {

namespace http = boost::beast::http;

// The first field named `name`; nullopt when there is none.
std::optional<std::string_view> header_value(const http::request<http::empty_body>& req, std::string_view name);

// A client X-Request-Id is kept when it is short and printable; otherwise a new one is made.
std::string request_id_for(const http::request<http::empty_body>& req);

bool is_websocket_upgrade(const http::request<http::empty_body>& req);

// Target without the /fn/NAME prefix (origin-form, with Host set to the target's authority, for an
// absolute-form target), X-Forwarded-*, X-Request-Id, hop-by-hop fields removed,
// HTTP/1.1 keep-alive towards the replica (or the Upgrade handshake when `upgrade`).
// `https`: the client came over TLS (X-Forwarded-Proto). X-Svl-Internal and X-Svl-Timeout never reach a replica.
void prepare_upstream_request(http::request<http::empty_body>& req, const Route& route, std::string_view request_id,
                              std::string_view client_ip, bool upgrade, bool https = false);

// Hop-by-hop fields removed, X-Request-Id echoed, keep-alive as decided for the client.
void prepare_client_response(http::response<http::empty_body>& res, std::string_view request_id, bool keep_alive,
                             bool upgrade);

http::response<http::string_body> make_error_response(http::status status, std::string_view error,
                                                      std::string_view function, std::string_view request_id,
                                                      std::string_view detail, bool keep_alive, unsigned version);

// 308 to `location`, the plain port's answer when redirect_http is on.
http::response<http::string_body> make_redirect_response(std::string_view location, std::string_view request_id,
                                                         bool keep_alive, unsigned version);

// 200 text/plain with `body` (an ACME challenge's key authorization).
http::response<http::string_body> make_text_response(std::string body, std::string_view request_id, bool keep_alive,
                                                     unsigned version);

}  // namespace svl::gateway
