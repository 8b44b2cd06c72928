#pragma once
// Which function a request is for: `Host: NAME.<domain>` or a path `/fn/NAME/...`.
// Pure string logic, no Beast, so it is tested with canned input.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svl::gateway {

struct Route {
  std::string function;
  std::string target;  // what the replica sees (the /fn/NAME prefix stripped)
  std::string prefix;  // "/fn/NAME" when the path style matched, else empty
};

// The path style wins over the Host style. Returns nullopt when neither names a function.
std::optional<Route> resolve_route(std::string_view host, std::string_view target,
                                   const std::vector<std::string>& domains);

// `host` without its port, lower-cased compare against "NAME.<domain>".
std::optional<std::string> function_from_host(std::string_view host, const std::vector<std::string>& domains);

bool is_valid_function_name(std::string_view name);

}  // namespace svl::gateway
