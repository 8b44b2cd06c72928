#pragma once
// Instants written as text in tests: "2026-03-29 01:00:00" (UTC or local wall-clock time).
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace svl::schedule::test {

inline std::chrono::sys_seconds parse_fields(const char* text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::sscanf(text, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s);
  const std::chrono::sys_days day{std::chrono::year{y} / mo / d};
  return day + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

// An instant in UTC.
inline std::chrono::sys_seconds utc(const char* text) { return parse_fields(text); }

// A wall-clock time (no zone).
inline std::chrono::local_seconds local(const char* text) {
  return std::chrono::local_seconds{parse_fields(text).time_since_epoch()};
}

inline std::string show(std::chrono::sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss tod{t - day};
  char out[96];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u %02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(tod.hours().count()), static_cast<long>(tod.minutes().count()),
                static_cast<long>(tod.seconds().count()));
  return out;
}

inline std::string show(std::chrono::local_seconds t) { return show(std::chrono::sys_seconds{t.time_since_epoch()}); }

template <class T>
std::string show(const std::optional<T>& t) {
  return t ? show(*t) : std::string("never");
}

}  // namespace svl::schedule::test
