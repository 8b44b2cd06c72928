#pragma once
// Human units used in svl.toml, flags and the simulator: "250ms", "30s", "10m", "1h30m",
// "off"; "256MiB", "1GiB", "512M", "1.5G". Parse errors say what was expected.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace svl {

struct ParseError {
  std::string message;
};

// A duration, or "off" (std::nullopt inside the optional) where the caller allows it.
std::variant<std::chrono::milliseconds, ParseError> parse_duration(std::string_view text);
std::variant<std::optional<std::chrono::milliseconds>, ParseError> parse_duration_or_off(std::string_view text);

// Bytes. Binary suffixes (KiB, MiB, GiB, TiB) and Docker's k/m/g (also binary); a bare number is bytes.
std::variant<std::uint64_t, ParseError> parse_size(std::string_view text);

std::string format_duration(std::chrono::milliseconds d);
std::string format_size(std::uint64_t bytes);

}  // namespace svl
