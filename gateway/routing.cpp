#include "gateway/routing.hpp"

#include <array>
#include <cctype>

#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>

namespace svl::gateway {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') return host;  // IPv6 literal: never a function name
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

RouteDecision reject(std::string detail) { return RouteDecision{std::nullopt, std::move(detail)}; }

// A Host field value: uri-host [":" port], nothing else (RFC 9110 section 7.2).
bool valid_host_value(std::string_view v) {
  auto a = boost::urls::parse_authority(v);
  return a && !a->has_userinfo();
}

}  // namespace

bool is_valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return true;
}

std::optional<std::string> function_from_host(std::string_view host, const std::vector<std::string>& domains) {
  host = strip_port(host);
  for (const auto& domain : domains) {
    if (host.size() <= domain.size() + 1) continue;
    const auto suffix = host.substr(host.size() - domain.size());
    if (host[host.size() - domain.size() - 1] != '.' || !iequals(suffix, domain)) continue;
    const auto name = host.substr(0, host.size() - domain.size() - 1);
    if (!is_valid_function_name(name)) return std::nullopt;
    std::string lowered(name);
    for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lowered;
  }
  return std::nullopt;
}

void add_custom_domains(CustomDomains& map, const std::string& function, const std::vector<std::string>& domains) {
  for (std::string domain : domains) {
    for (auto& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, added] = map.emplace(std::move(domain), function);
    if (!added && function < it->second) it->second = function;
  }
}

const std::string* function_from_custom_domain(std::string_view host, const CustomDomains& custom_domains) {
  if (custom_domains.empty()) return nullptr;
  host = strip_port(host);
  std::array<char, 253> lowered;  // the longest host name
  if (host.empty() || host.size() > lowered.size()) return nullptr;
  for (std::size_t i = 0; i < host.size(); ++i)
    lowered[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(host[i])));
  auto it = custom_domains.find(std::string_view(lowered.data(), host.size()));
  return it == custom_domains.end() ? nullptr : &it->second;
}

std::optional<Route> resolve_route(std::string_view host, std::string_view target,
                                   const std::vector<std::string>& domains, const CustomDomains& custom_domains) {
  constexpr std::string_view fn = "/fn/";
  if (target.substr(0, fn.size()) == fn) {
    const auto rest = target.substr(fn.size());
    const auto end = rest.find_first_of("/?");
    const auto name = rest.substr(0, end);
    if (is_valid_function_name(name)) {
      Route r;
      r.function = std::string(name);
      r.prefix = std::string(target.substr(0, fn.size() + name.size()));
      if (end == std::string_view::npos)
        r.target = "/";
      else if (rest[end] == '?')
        r.target = "/" + std::string(rest.substr(end));
      else
        r.target = std::string(rest.substr(end));
      return r;
    }
  }
  if (const auto* name = function_from_custom_domain(host, custom_domains))
    return Route{*name, std::string(target), {}, {}};
  if (auto name = function_from_host(host, domains)) return Route{std::move(*name), std::string(target), {}, {}};
  return std::nullopt;
}

RouteDecision route_request(std::span<const std::string_view> hosts, unsigned version, std::string_view target,
                            const std::vector<std::string>& domains, const CustomDomains& custom_domains) {
  // RFC 9112 section 3.2: more than one Host, or one that is not a single authority, is a 400
  // whatever the target says (two proxies in a chain could otherwise read different ones).
  if (hosts.size() > 1) return reject("duplicate Host header");
  if (!hosts.empty() && hosts.front().find(',') != std::string_view::npos) return reject("duplicate Host header");
  if (!hosts.empty() && !valid_host_value(hosts.front())) return reject("invalid Host header");
  const std::string_view host = hosts.empty() ? std::string_view() : hosts.front();

  if (target.empty() || target.front() == '/' || target == "*") {  // origin-form, asterisk-form
    if (hosts.empty() && version >= 11) return reject("missing Host header");
    return RouteDecision{resolve_route(host, target, domains, custom_domains), {}};
  }

  // absolute-form (RFC 9112 section 3.2.2): the target's authority wins over Host.
  auto parsed = boost::urls::parse_absolute_uri(target);
  // Boost.URL 1.81 takes "http://h:80x/" as port 80 and path "x/"; after an authority the path
  // must be empty or start with '/' (RFC 3986 path-abempty).
  if (!parsed || (parsed->has_authority() && !parsed->encoded_path().empty() && parsed->encoded_path().front() != '/'))
    return reject("malformed request target");
  const auto& u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https)
    return reject("request target: not an http URI");
  if (!u.has_authority() || u.encoded_host().empty()) return reject("request target: no host");
  if (u.has_userinfo()) return reject("request target: userinfo is not allowed");
  const std::string_view authority = u.encoded_authority();
  std::string origin(u.encoded_path().empty() ? std::string_view("/") : std::string_view(u.encoded_path()));
  if (u.has_query()) {
    origin += '?';
    origin += std::string_view(u.encoded_query());
  }
  auto route = resolve_route(authority, origin, domains, custom_domains);
  if (route) route->authority = std::string(authority);
  return RouteDecision{std::move(route), {}};
}

}  // namespace svl::gateway
