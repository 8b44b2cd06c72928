#pragma once
// Errors of the autoscaler component: bad configuration, bad policy names, bad trace files.
#include <string>
#include <system_error>

namespace svl::autoscaler {

enum class Error {
  bad_config = 1,       // a ScalingConfig or policy parameter out of range
  unknown_policy,       // "--policy foo"
  file_not_found,       // a trace file cannot be opened
  empty_file,           // no header line
  missing_column,       // a required column is absent from the header
  bad_field_count,      // a row has a different number of fields than the header
  bad_number,           // a field that must be a number is not
};

const std::error_category& error_category();
std::error_code make_error_code(Error e);

// An error with the context a person needs to fix it (file, line, column).
struct Failure {
  std::error_code code;
  std::string message;
};

}  // namespace svl::autoscaler

template <>
struct std::is_error_code_enum<svl::autoscaler::Error> : std::true_type {};
