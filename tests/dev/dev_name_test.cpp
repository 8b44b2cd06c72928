#include <doctest/doctest.h>

#include <string>

#include "orchestrator/dev/dev_name.hpp"
#include "orchestrator/spec/function_spec.hpp"

using svl::dev::dev_function_name;
using svl::orchestrator::is_valid_function_name;

TEST_CASE("a short name gets -dev") {
  CHECK(dev_function_name("hello") == "hello-dev");
  const std::string longest(59, 'a');  // 59 + 4 = 63: still fits
  CHECK(dev_function_name(longest) == longest + "-dev");
}

TEST_CASE("a name too long for -dev is cut, hashed and stays a valid function name") {
  for (std::size_t n = 60; n <= 63; ++n) {
    const std::string name(n, 'a');
    const std::string dev = dev_function_name(name);
    CAPTURE(dev);
    CHECK(dev.size() <= 63);
    CHECK(is_valid_function_name(dev));
    CHECK(dev.rfind(std::string(50, 'a'), 0) == 0);
    CHECK(dev.substr(dev.size() - 4) == "-dev");
  }
}

TEST_CASE("long names differing only at the end get different dev names") {
  const std::string stem(61, 'x');
  const std::string a = dev_function_name(stem + "a");
  const std::string b = dev_function_name(stem + "b");
  CHECK(a != b);
  CHECK(dev_function_name(std::string(60, 'x')) != dev_function_name(std::string(61, 'x')));
}

TEST_CASE("the dev name is stable: the same name always maps to the same result") {
  const std::string name = std::string(58, 'q') + "-abcd";
  CHECK(dev_function_name(name) == dev_function_name(name));
  // Pinned (checked with a Python FNV-1a) so that a change of hash (which would orphan running dev functions) is noticed.
  CHECK(dev_function_name(std::string(63, 'a')) == std::string(50, 'a') + "-" + "7b2f701d" + "-dev");
}

TEST_CASE("a cut that ends in '-' does not leave a double dash") {
  const std::string name = std::string(49, 'a') + "-" + std::string(13, 'b');  // '-' at index 49
  const std::string dev = dev_function_name(name);
  CAPTURE(dev);
  CHECK(dev.find("--") == std::string::npos);
  CHECK(is_valid_function_name(dev));
}
