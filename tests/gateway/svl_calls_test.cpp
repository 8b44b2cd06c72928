// svl's own calls: the token check, the timeout header, and private paths that no spelling of
// the path gets around.
#include <doctest/doctest.h>

#include <vector>

#include "gateway/svl_calls.hpp"

using namespace svl::gateway;

TEST_CASE("a call is svl's only with the exact token") {
  CHECK(is_internal("s3cret", "s3cret"));
  CHECK_FALSE(is_internal("s3cre", "s3cret"));
  CHECK_FALSE(is_internal("s3creT", "s3cret"));
  CHECK_FALSE(is_internal(std::nullopt, "s3cret"));
  CHECK_FALSE(is_internal("", ""));  // no token set: nothing is internal
}

TEST_CASE("X-Svl-Timeout is whole milliseconds, 1 ms to 24 h") {
  CHECK(internal_timeout("300000") == std::chrono::milliseconds(300000));
  CHECK_FALSE(internal_timeout("0"));
  CHECK_FALSE(internal_timeout("-5"));
  CHECK_FALSE(internal_timeout("5m"));
  CHECK_FALSE(internal_timeout("86400001"));
  CHECK_FALSE(internal_timeout(std::nullopt));
}

TEST_CASE("paths compare decoded, with dot segments and repeated or trailing slashes resolved") {
  CHECK(comparable_path("/tasks/cleanup") == "/tasks/cleanup");
  CHECK(comparable_path("/tasks//cleanup/") == "/tasks/cleanup");
  CHECK(comparable_path("/x/../tasks/./cleanup?force=1") == "/tasks/cleanup");
  CHECK(comparable_path("/tasks/%63leanup") == "/tasks/cleanup");
  CHECK(comparable_path("/tasks%2Fcleanup") == "/tasks/cleanup");
  CHECK(comparable_path("http://api.localhost/tasks/cleanup") == "/tasks/cleanup");
  CHECK(comparable_path("/") == "/");
  CHECK_FALSE(comparable_path("/bad%zz"));
}

TEST_CASE("a private path answers to no spelling of it, other paths pass") {
  const std::vector<std::string> paths{"/tasks/cleanup"};
  CHECK(names_private_path(paths, "/tasks/cleanup"));
  CHECK(names_private_path(paths, "/tasks/cleanup/?x=1"));
  CHECK(names_private_path(paths, "//tasks/%63leanup"));
  CHECK(names_private_path(paths, "/bad%zz"));  // unreadable: refused
  CHECK_FALSE(names_private_path(paths, "/tasks"));
  CHECK_FALSE(names_private_path(paths, "/tasks/cleanup-report"));
  CHECK_FALSE(names_private_path({}, "/bad%zz"));
}
