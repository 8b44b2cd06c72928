#pragma once
// Which function a request is for: a path `/fn/NAME/...`, a Host that is one of a function's
// custom domains, or `Host: NAME.<domain>`, and whether its target and Host fields are acceptable
// at all (RFC 9112 section 3.2).
// Pure string logic, no Beast, so it is tested with canned input.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace svl::gateway {

// Custom domain (lower case, no port) -> function. Looked up with a string_view, no allocation.
struct HostHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using CustomDomains = std::unordered_map<std::string, std::string, HostHash, std::equal_to<>>;

// Adds `function`'s domains, lower-cased. A domain two functions claim (the daemon refuses that)
// goes to the name that sorts first, whatever the order they are added in.
void add_custom_domains(CustomDomains& map, const std::string& function, const std::vector<std::string>& domains);

struct Route {
  std::string function;
  std::string target;  // what the replica sees (the /fn/NAME prefix stripped)
  std::string prefix;  // "/fn/NAME" when the path style matched, else empty
  // Absolute-form request target (`GET http://a.localhost/p`): its authority, which the replica
  // gets as Host (and X-Forwarded-Host) in place of the client's Host; `target` is then the
  // origin-form `/p?q`. Empty for an origin-form target.
  std::string authority;
};

// The routing step of the request handler. `error` non-empty: answer 400 with it as the detail.
// Otherwise `route` is the function named (nullopt: nothing names one, 404).
struct RouteDecision {
  std::optional<Route> route;
  std::string error;
};

// `hosts`: the values of every Host field line of the request, in order. Rejected: more than one
// Host line or a comma-separated Host value ("duplicate Host header"), an invalid Host value, no
// Host in an HTTP/1.1 request with an origin-form target, a target that is neither origin-form
// nor asterisk-form nor a well-formed absolute http(s) URI without userinfo or fragment. An
// absolute-form target is routed by its own authority and path; the Host field is ignored
// (RFC 9112 section 3.2.2).
RouteDecision route_request(std::span<const std::string_view> hosts, unsigned version, std::string_view target,
                            const std::vector<std::string>& domains, const CustomDomains& custom_domains = {});

// The path style wins, then a custom domain (the whole path goes to the function), then
// NAME.<domain>. Returns nullopt when none names a function.
std::optional<Route> resolve_route(std::string_view host, std::string_view target,
                                   const std::vector<std::string>& domains, const CustomDomains& custom_domains = {});

// The function whose custom domain `host` is (port and a trailing dot dropped, any case).
const std::string* function_from_custom_domain(std::string_view host, const CustomDomains& custom_domains);

// `host` without its port, lower-cased compare against "NAME.<domain>".
std::optional<std::string> function_from_host(std::string_view host, const std::vector<std::string>& domains);

bool is_valid_function_name(std::string_view name);

}  // namespace svl::gateway
