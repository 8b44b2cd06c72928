#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>

#include "common/result.hpp"

namespace {

struct Oops {
  int code = 0;
  std::string message;
};

using IntResult = svl::Result<int, Oops>;
using Status = svl::Result<void, Oops>;

IntResult parse(bool good) {
  if (!good) return Oops{7, "bad input"};
  return 42;
}

Status check(bool good) {
  if (!good) return Oops{3, "nope"};
  return {};
}

}  // namespace

TEST_CASE("a Result holds a value or an error, never both") {
  auto good = parse(true);
  REQUIRE(good.ok());
  CHECK(static_cast<bool>(good));
  CHECK(good.value() == 42);
  CHECK(*good == 42);
  *good = 43;
  CHECK(good.value() == 43);

  auto bad = parse(false);
  CHECK_FALSE(bad.ok());
  CHECK_FALSE(static_cast<bool>(bad));
  CHECK(bad.error().code == 7);
  CHECK(bad.error().message == "bad input");
}

TEST_CASE("operator-> reaches the value's members") {
  svl::Result<std::string, Oops> r(std::string("hello"));
  REQUIRE(r);
  CHECK(r->size() == 5);
  const auto& cr = r;
  CHECK(cr->front() == 'h');
  CHECK(*cr == "hello");
}

TEST_CASE("an rvalue Result moves its value and its error out") {
  svl::Result<std::string, Oops> v(std::string(100, 'x'));
  std::string taken = std::move(v).value();
  CHECK(taken.size() == 100);

  svl::Result<std::string, Oops> e(Oops{1, std::string(100, 'y')});
  Oops moved = std::move(e).error();
  CHECK(moved.code == 1);
  CHECK(moved.message.size() == 100);
}

TEST_CASE("a Result can hold a move-only value") {
  svl::Result<std::unique_ptr<int>, Oops> r(std::make_unique<int>(5));
  REQUIRE(r.ok());
  CHECK(**r == 5);
  std::unique_ptr<int> owned = std::move(r).value();
  REQUIRE(owned);
  CHECK(*owned == 5);

  svl::Result<std::unique_ptr<int>, Oops> moved_result = svl::Result<std::unique_ptr<int>, Oops>(Oops{2, "none"});
  CHECK_FALSE(moved_result.ok());
  CHECK(moved_result.error().code == 2);
}

TEST_CASE("Result<void> is success by default and carries only an error") {
  Status fine = check(true);
  CHECK(fine.ok());
  CHECK(static_cast<bool>(fine));
  fine.value();  // success: nothing to return, must not assert

  Status failed = check(false);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == 3);
  CHECK(failed.error().message == "nope");
  Oops taken = std::move(failed).error();
  CHECK(taken.message == "nope");

  Status defaulted;
  CHECK(defaulted.ok());
}
