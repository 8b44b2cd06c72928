#include "gateway/proxy_headers.hpp"

#include <vector>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include "gateway/error_body.hpp"
#include "gateway/request_id.hpp"
#include "gateway/svl_calls.hpp"

namespace svl::gateway {

namespace beast = boost::beast;

namespace {

bool printable_id(std::string_view v) {
  if (v.empty() || v.size() > 200) return false;
  for (char c : v)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// Removes Connection and the fields it names, plus the fields that are hop-by-hop by definition.
template <class Fields>
void strip_hop_by_hop(Fields& f, bool upgrade) {
  if (auto it = f.find(http::field::connection); it != f.end()) {
    std::vector<std::string> named;
    for (auto token : http::token_list{it->value()}) {
      if (beast::iequals(token, "close") || beast::iequals(token, "keep-alive") || beast::iequals(token, "upgrade"))
        continue;
      named.emplace_back(token);
    }
    for (auto& n : named) f.erase(n);
    f.erase(http::field::connection);
  }
  f.erase(http::field::keep_alive);
  f.erase(http::field::proxy_connection);
  f.erase(http::field::te);
  if (!upgrade) f.erase(http::field::upgrade);
}

}  // namespace

std::optional<std::string_view> header_value(const http::request<http::empty_body>& req, std::string_view name) {
  const auto it = req.find(name);
  if (it == req.end()) return std::nullopt;
  return std::string_view(it->value());
}

std::string request_id_for(const http::request<http::empty_body>& req) {
  if (auto it = req.find("X-Request-Id"); it != req.end() && printable_id(it->value())) return std::string(it->value());
  return generate_request_id();
}

bool is_websocket_upgrade(const http::request<http::empty_body>& req) {
  if (req.method() != http::verb::get) return false;
  auto it = req.find(http::field::upgrade);
  if (it == req.end()) return false;
  bool has_upgrade_token = false;
  for (auto token : http::token_list{req[http::field::connection]})
    if (beast::iequals(token, "upgrade")) has_upgrade_token = true;
  return has_upgrade_token && beast::iequals(it->value(), "websocket");
}

void prepare_upstream_request(http::request<http::empty_body>& req, const Route& route, std::string_view request_id,
                              std::string_view client_ip, bool upgrade, bool https) {
  strip_hop_by_hop(req, upgrade);
  req.erase(internal_header);
  req.erase(timeout_header);
  if (!route.prefix.empty() || !route.authority.empty()) req.target(route.target);
  if (!route.prefix.empty()) req.set("X-Forwarded-Prefix", route.prefix);
  if (!route.authority.empty()) req.set(http::field::host, route.authority);  // absolute-form: Host ignored
  if (auto it = req.find("X-Forwarded-For"); it != req.end()) {
    std::string v(it->value());
    v += ", ";
    v += client_ip;
    req.set("X-Forwarded-For", v);
  } else {
    req.set("X-Forwarded-For", client_ip);
  }
  req.set("X-Forwarded-Proto", https ? "https" : "http");
  if (auto host = req.find(http::field::host); host != req.end()) req.set("X-Forwarded-Host", host->value());
  req.set("X-Request-Id", request_id);
  req.version(11);
  if (upgrade) req.set(http::field::connection, "Upgrade");
}

void prepare_client_response(http::response<http::empty_body>& res, std::string_view request_id, bool keep_alive,
                             bool upgrade) {
  strip_hop_by_hop(res, upgrade);
  res.set("X-Request-Id", request_id);
  if (upgrade)
    res.set(http::field::connection, "Upgrade");
  else if (!keep_alive)
    res.set(http::field::connection, "close");
}

http::response<http::string_body> make_error_response(http::status status, std::string_view error,
                                                      std::string_view function, std::string_view request_id,
                                                      std::string_view detail, bool keep_alive, unsigned version) {
  http::response<http::string_body> res{status, version == 10 ? 10u : 11u};
  res.set(http::field::server, "svl");
  res.set(http::field::content_type, "application/json");
  res.set("X-Request-Id", request_id);
  res.body() = error_body(error, function, request_id, detail);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> make_redirect_response(std::string_view location, std::string_view request_id,
                                                         bool keep_alive, unsigned version) {
  http::response<http::string_body> res{http::status::permanent_redirect, version == 10 ? 10u : 11u};
  res.set(http::field::server, "svl");
  res.set(http::field::location, location);
  res.set(http::field::content_type, "text/plain");
  res.set("X-Request-Id", request_id);
  res.body() = "Moved to ";
  res.body() += location;
  res.body() += "\n";
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> make_text_response(std::string body, std::string_view request_id, bool keep_alive,
                                                     unsigned version) {
  http::response<http::string_body> res{http::status::ok, version == 10 ? 10u : 11u};
  res.set(http::field::server, "svl");
  res.set(http::field::content_type, "text/plain");
  res.set("X-Request-Id", request_id);
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

}  // namespace svl::gateway
