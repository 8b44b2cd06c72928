#include <doctest/doctest.h>

#include <ostream>  // doctest prints error codes through operator<<
#include <string>
#include <string_view>
#include <system_error>

#include "common/error_category.hpp"

namespace sample {

enum class Errc { first = 1, second };
enum class Other { first = 1 };

const char* message(Errc e) noexcept {
  switch (e) {
    case Errc::first: return "the first thing went wrong";
    case Errc::second: return "the second thing went wrong";
  }
  return "unknown sample error";
}

std::string_view label(Other) noexcept { return "other"; }

const std::error_category& sample_category() noexcept { return svl::enum_category<Errc, "svl.sample", message>(); }
const std::error_category& other_category() noexcept { return svl::enum_category<Other, "svl.other", label>(); }

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), sample_category()}; }
std::error_code make_error_code(Other e) noexcept { return {static_cast<int>(e), other_category()}; }

}  // namespace sample

template <>
struct std::is_error_code_enum<sample::Errc> : std::true_type {};
template <>
struct std::is_error_code_enum<sample::Other> : std::true_type {};

TEST_CASE("an enum category has the given name and the enum's messages") {
  CHECK(std::string(sample::sample_category().name()) == "svl.sample");
  CHECK(std::string(sample::other_category().name()) == "svl.other");

  std::error_code ec = sample::Errc::second;
  CHECK(ec.value() == 2);
  CHECK(ec.message() == "the second thing went wrong");
  CHECK(std::error_code(sample::Errc::first).message() == "the first thing went wrong");
  CHECK(std::error_code(99, sample::sample_category()).message() == "unknown sample error");
  CHECK(std::error_code(sample::Other::first).message() == "other");  // string_view messages too
}

TEST_CASE("error codes compare by category and value") {
  std::error_code ec = sample::Errc::first;
  CHECK(ec == sample::Errc::first);
  CHECK(ec != sample::Errc::second);
  CHECK(&ec.category() == &sample::sample_category());  // one category object per enum
  CHECK(&sample::sample_category() == &sample::sample_category());

  // Same value, other category: not equal.
  std::error_code other = sample::Other::first;
  CHECK(other.value() == ec.value());
  CHECK(other != ec);
  CHECK(ec != std::error_code(1, std::generic_category()));
  CHECK(sample::sample_category() != sample::other_category());
}
