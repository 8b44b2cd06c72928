#pragma once
// A value or an error: the result every fallible call of svl returns (docker::Result,
// RegistryResult). std::expected is C++23, and boost::system::result would put Boost in
// every header; this is the small part of either that svl uses.
#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace svl {

template <class T, class E>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, std::remove_cv_t<E>>, "a value must not look like an error");

public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const& { assert(!ok()); return std::get<1>(v_); }
  E&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

private:
  std::variant<T, E> v_;
};

// Success carries nothing: `return {};` or an error.
template <class E>
class [[nodiscard]] Result<void, E> {
public:
  Result() = default;
  Result(E error) : error_(std::move(error)) {}

  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  void value() const { assert(ok()); }

  const E& error() const& { assert(!ok()); return *error_; }
  E&& error() && { assert(!ok()); return std::move(*error_); }

private:
  std::optional<E> error_;
};

}  // namespace svl
