#include "gateway/routing.hpp"

#include <cctype>

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

std::optional<Route> resolve_route(std::string_view host, std::string_view target,
                                   const std::vector<std::string>& domains) {
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
  if (auto name = function_from_host(host, domains)) return Route{std::move(*name), std::string(target), {}};
  return std::nullopt;
}

}  // namespace svl::gateway
