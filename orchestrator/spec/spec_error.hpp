#pragma once
// Errors found in an svl.toml (or in a spec sent as JSON): where, which key, what is wrong.
#include <string>
#include <system_error>
#include <vector>

namespace svl::orchestrator {

enum class SpecErrc {
  syntax = 1,    // not valid TOML / JSON
  unknown_key,   // a key svl does not know (typo?)
  wrong_type,    // e.g. a string where an integer belongs
  bad_value,     // a value of the right type that cannot be used (bad duration, bad name, ...)
  out_of_range,  // a number outside its range (port 0, max < min, ...)
  missing_key,   // a required key is absent (name; image or [build])
  conflict,      // keys that cannot be used together (image and [build])
  unreadable,    // the file cannot be read
};

const std::error_category& spec_category() noexcept;
std::error_code make_error_code(SpecErrc e) noexcept;

struct SpecError {
  std::string file;  // "svl.toml", the path given, or "" for JSON from the admin API
  int line = 0;      // 1-based; 0 when unknown (JSON, a missing key)
  int column = 0;
  std::string key;  // dotted, e.g. "scale.max"; "" for file-level errors
  std::string message;
  SpecErrc code = SpecErrc::bad_value;

  // "svl.toml:12:1: scale.max: expected an integer, got a string"; parts that are
  // unknown are left out ("scale.max: ..." for JSON).
  std::string to_string() const;
};

// One error per line, in file order.
std::string to_string(const std::vector<SpecError>& errors);

}  // namespace svl::orchestrator

template <>
struct std::is_error_code_enum<svl::orchestrator::SpecErrc> : std::true_type {};
