#pragma once
// svl's own calls through its gateway (cron triggers): how the gateway tells them from outside
// requests, and which paths only they may reach. Pure string logic.
//   X-Svl-Internal: <token>  the daemon's per-start secret; never reaches a replica
//   X-Svl-Cron: <trigger>    which trigger made the call; stripped from every outside request
//   X-Svl-Timeout: <ms>      the call's own upstream timeout (a trigger's `timeout`); internal only
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace svl::gateway {

inline constexpr std::string_view internal_header = "X-Svl-Internal";
inline constexpr std::string_view cron_header = "X-Svl-Cron";
inline constexpr std::string_view timeout_header = "X-Svl-Timeout";

// The header's value is the token (compared in constant time); an empty token matches nothing.
bool is_internal(std::optional<std::string_view> header_value, std::string_view token);

// X-Svl-Timeout's value as milliseconds, 1 ms to 24 h; nullopt when absent or malformed.
std::optional<std::chrono::milliseconds> internal_timeout(std::optional<std::string_view> header_value);

// A path as compared against private paths: percent-decoded, dot segments resolved, repeated and
// trailing slashes dropped, without the query. So `/tasks//run/`, `/x/../tasks/run` and
// `/tasks/%72un` all name `/tasks/run`, as most app routers would take them. nullopt: not a path.
std::optional<std::string> comparable_path(std::string_view target);

// The request target (what the replica would see) names one of `paths` (each a comparable_path).
bool names_private_path(std::span<const std::string> paths, std::string_view target);

}  // namespace svl::gateway
