#pragma once
// The std::error_category of a component's error enum, from its name and a function that
// names each value, so an error file holds only its messages:
//
//   const char* message(Errc e) noexcept { switch (e) { ... } return "unknown foo error"; }
//   const std::error_category& foo_category() noexcept { return svl::enum_category<Errc, "svl.foo", message>(); }
//
// Error codes compare by category address: each (Enum, name, message) triple has one
// category object, defined where the component's category function is (its error .cpp).
#include <algorithm>
#include <cstddef>
#include <string>
#include <system_error>
#include <type_traits>

namespace svl {

// A string literal as a template argument: enum_category<E, "svl.foo", ...>.
template <std::size_t N>
struct CategoryName {
  char text[N];
  constexpr CategoryName(const char (&name)[N]) noexcept { std::copy_n(name, N, text); }
};

template <class Enum, CategoryName Name, auto Message>
  requires std::is_enum_v<Enum> && std::is_constructible_v<std::string, decltype(Message(Enum{}))>
class EnumCategory final : public std::error_category {
public:
  const char* name() const noexcept override { return Name.text; }
  std::string message(int value) const override { return std::string(Message(static_cast<Enum>(value))); }
};

// The one category of Enum (a static object: error_code equality compares its address).
template <class Enum, CategoryName Name, auto Message>
const std::error_category& enum_category() noexcept {
  static const EnumCategory<Enum, Name, Message> category;
  return category;
}

}  // namespace svl
