// A client's request header (raw HTTP/1.x bytes) -> route_request -> prepare_upstream_request.
// The route names a valid function and strips exactly the /fn/NAME prefix; the request sent to
// the replica carries no hop-by-hop field, the forwarding fields and the request id, and is
// itself a header that parses again to the same fields.
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "fuzz/fuzz_check.hpp"
#include "gateway/proxy_headers.hpp"
#include "gateway/routing.hpp"

using namespace svl::gateway;

namespace {

constexpr std::string_view kClientIp = "10.1.2.3";

// Parses a complete header; nullopt when the bytes are not one.
std::optional<http::request<http::empty_body>> parse_header(std::string_view bytes) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(64 * 1024);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (!parser.is_header_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec || n == 0) return std::nullopt;
    used += n;
  }
  return parser.release();
}

std::string header_text(const http::request<http::empty_body>& req) {
  std::ostringstream out;
  out << req.base();
  return out.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = parse_header(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed) return 0;
  http::request<http::empty_body>& req = *parsed;
  static const std::vector<std::string> domains{"localhost", "fn.example.com"};
  static const CustomDomains custom = [] {
    CustomDomains m;
    add_custom_domains(m, "api", {"api.example.com", "example.org"});
    return m;
  }();

  std::vector<std::string> host_copies;
  for (auto [it, end] = req.equal_range(http::field::host); it != end; ++it) host_copies.emplace_back(it->value());
  const std::vector<std::string_view> hosts(host_copies.begin(), host_copies.end());
  const std::string original_target(req.target());
  const auto decision = route_request(hosts, req.version(), original_target, domains, custom);
  FUZZ_CHECK(decision.error.empty() || !decision.route);
  if (hosts.size() > 1) FUZZ_CHECK(!decision.error.empty());
  if (!decision.route) return 0;
  const auto& route = decision.route;
  FUZZ_CHECK(is_valid_function_name(route->function));
  if (!route->authority.empty()) {  // absolute-form: the replica gets origin-form
    FUZZ_CHECK(!route->target.empty() && route->target[0] == '/');
  } else if (route->prefix.empty()) {
    FUZZ_CHECK(route->target == original_target);
  } else {
    FUZZ_CHECK(route->prefix == "/fn/" + route->function);
    FUZZ_CHECK(!route->target.empty() && route->target[0] == '/');
    // The replica's target is the client's without the prefix ("/fn/x?q" becomes "/?q").
    const std::string rest = original_target.substr(route->prefix.size());
    FUZZ_CHECK(route->target == rest || route->target == "/" + rest);
  }

  const bool upgrade = is_websocket_upgrade(req);
  const std::string id = request_id_for(req);
  FUZZ_CHECK(!id.empty() && id.size() <= 200);
  const std::string forwarded_before(req["X-Forwarded-For"]);
  prepare_upstream_request(req, *route, id, kClientIp, upgrade);

  FUZZ_CHECK(req.target() == route->target);
  if (!route->authority.empty()) FUZZ_CHECK(req[http::field::host] == route->authority);
  FUZZ_CHECK(req.version() == 11);
  FUZZ_CHECK(req["X-Request-Id"] == id);
  FUZZ_CHECK(req["X-Forwarded-Proto"] == "http");
  const std::string_view forwarded = req["X-Forwarded-For"];
  FUZZ_CHECK(forwarded.size() >= kClientIp.size() &&
             forwarded.substr(forwarded.size() - kClientIp.size()) == kClientIp);
  FUZZ_CHECK(forwarded_before.empty() || forwarded.substr(0, forwarded_before.size()) == forwarded_before);
  for (auto field : {http::field::keep_alive, http::field::proxy_connection, http::field::te})
    FUZZ_CHECK(req.find(field) == req.end());
  if (upgrade) {
    FUZZ_CHECK(req[http::field::connection] == "Upgrade");
  } else {
    FUZZ_CHECK(req.find(http::field::connection) == req.end());
    FUZZ_CHECK(req.find(http::field::upgrade) == req.end());
  }

  // What goes on the wire to the replica parses back to the same header.
  const std::string wire = header_text(req);
  auto again = parse_header(wire);
  if (!again) std::fprintf(stderr, "unparsable upstream header:\n%s\n", wire.c_str());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(header_text(*again) == wire);
  return 0;
}
