#pragma once
// The registry's errors, and the result type every registry call returns.
#include <cassert>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace svl::orchestrator {

enum class RegistryErrc {
  not_found = 1,  // no such function (or it was deleted), or no such revision
  name_taken,     // the name belongs to a function deployed from another folder
  invalid,        // a request that can never succeed as given (bad name, min > max, ...)
  storage,        // SQLite failed (disk full, corrupt file, newer schema, ...)
};

const std::error_category& registry_category() noexcept;
std::error_code make_error_code(RegistryErrc e) noexcept;

struct RegistryError {
  std::error_code code;
  std::string message;  // says what is wrong and with what, e.g. `function "api" not found`
};

// A value or a RegistryError.
template <class T>
class [[nodiscard]] RegistryResult {
public:
  RegistryResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  RegistryResult(RegistryError error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const RegistryError& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

private:
  std::variant<T, RegistryError> v_;
};

// For calls that return nothing but success.
using RegistryStatus = RegistryResult<std::monostate>;

}  // namespace svl::orchestrator

template <>
struct std::is_error_code_enum<svl::orchestrator::RegistryErrc> : std::true_type {};
