#pragma once
// The registry's errors, and the result type every registry call returns.
#include <string>
#include <system_error>

#include "common/result.hpp"

namespace svl::orchestrator {

enum class RegistryErrc {
  not_found = 1,  // no such function (or it was deleted), or no such revision
  name_taken,     // the name belongs to a function deployed from another folder
  invalid,        // a request that can never succeed as given (bad name, min > max, ...)
  storage,        // SQLite failed (disk full, corrupt file, newer schema, ...)
  lease_held,     // another svl dev session holds the function's lease
};

const std::error_category& registry_category() noexcept;
std::error_code make_error_code(RegistryErrc e) noexcept;

struct RegistryError {
  std::error_code code;
  std::string message;  // says what is wrong and with what, e.g. `function "api" not found`
};

// A value or a RegistryError (common/result.hpp).
template <class T>
using RegistryResult = svl::Result<T, RegistryError>;

// For calls that return nothing but success: `return {};` or an error.
using RegistryStatus = RegistryResult<void>;

}  // namespace svl::orchestrator

template <>
struct std::is_error_code_enum<svl::orchestrator::RegistryErrc> : std::true_type {};
