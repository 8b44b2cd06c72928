#include "common/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace svl {
namespace {

// Reads a non-negative decimal number (digits with an optional fraction) at the front of s.
std::optional<double> take_number(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + i, value);
  if (ec != std::errc{} || ptr != s.data() + i) return std::nullopt;
  s.remove_prefix(i);
  return value;
}

std::string_view take_unit(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  auto unit = s.substr(0, i);
  s.remove_prefix(i);
  return unit;
}

}  // namespace

std::variant<std::chrono::milliseconds, ParseError> parse_duration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return ParseError{"empty duration; expected e.g. \"250ms\", \"30s\", \"10m\", \"1h\""};
  std::string_view s = text;
  double total_ms = 0;
  while (!s.empty()) {
    auto number = take_number(s);
    if (!number) return ParseError{"bad duration " + quoted + ": expected a number, e.g. \"30s\""};
    auto unit = take_unit(s);
    double scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1e3;
    else if (unit == "m") scale = 60e3;
    else if (unit == "h") scale = 3600e3;
    else if (unit == "d") scale = 86400e3;
    else if (unit.empty()) return ParseError{"bad duration " + quoted + ": missing unit (ms, s, m, h or d)"};
    else return ParseError{"bad duration " + quoted + ": unknown unit \"" + std::string(unit) + "\" (ms, s, m, h or d)"};
    total_ms += *number * scale;
  }
  if (total_ms > 365.0 * 86400e3) return ParseError{"bad duration " + quoted + ": longer than a year"};
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

std::variant<std::optional<std::chrono::milliseconds>, ParseError> parse_duration_or_off(std::string_view text) {
  if (text == "off" || text == "never") return std::optional<std::chrono::milliseconds>{};
  auto parsed = parse_duration(text);
  if (auto* e = std::get_if<ParseError>(&parsed)) {
    e->message += " or \"off\"";
    return *e;
  }
  return std::optional{std::get<std::chrono::milliseconds>(parsed)};
}

std::variant<std::uint64_t, ParseError> parse_size(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string_view s = text;
  auto number = take_number(s);
  if (!number) return ParseError{"bad size " + quoted + ": expected a number with a unit, e.g. \"256MiB\""};
  auto unit = take_unit(s);
  if (!s.empty()) return ParseError{"bad size " + quoted + ": unexpected \"" + std::string(s) + "\""};
  std::string u;
  for (char c : unit) u += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 0;
  if (u.empty() || u == "b") scale = 1;
  else if (u == "k" || u == "kb" || u == "kib") scale = 1024.0;
  else if (u == "m" || u == "mb" || u == "mib") scale = 1024.0 * 1024;
  else if (u == "g" || u == "gb" || u == "gib") scale = 1024.0 * 1024 * 1024;
  else if (u == "t" || u == "tb" || u == "tib") scale = 1024.0 * 1024 * 1024 * 1024;
  else return ParseError{"bad size " + quoted + ": unknown unit \"" + std::string(unit) + "\" (B, KiB, MiB, GiB, TiB)"};
  double bytes = *number * scale;
  if (bytes > 1e18) return ParseError{"bad size " + quoted + ": too large"};
  return static_cast<std::uint64_t>(std::llround(bytes));
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3600000 == 0 && ms != 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms != 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;
  if (bytes != 0 && bytes % GiB == 0) return std::to_string(bytes / GiB) + "GiB";
  if (bytes != 0 && bytes % MiB == 0) return std::to_string(bytes / MiB) + "MiB";
  if (bytes != 0 && bytes % KiB == 0) return std::to_string(bytes / KiB) + "KiB";
  return std::to_string(bytes) + "B";
}

}  // namespace svl
