#include <doctest/doctest.h>

#include "tls/cert_names.hpp"

using namespace svl::tls;

TEST_CASE("file stems name servers: _.example.com is the wildcard, default is everyone else") {
  CHECK(name_of_stem("api.example.com") == "api.example.com");
  CHECK(name_of_stem("_.example.com") == "*.example.com");
  CHECK(name_of_stem("default") == "");
}

TEST_CASE("a wildcard covers one leftmost label, case-insensitively, and never the bare suffix") {
  CHECK(covers("*.example.com", "api.example.com"));
  CHECK(covers("*.example.com", "API.Example.COM"));
  CHECK(covers("api.example.com", "api.example.com."));
  CHECK_FALSE(covers("*.example.com", "example.com"));
  CHECK_FALSE(covers("*.example.com", "a.b.example.com"));
  CHECK_FALSE(covers("*.example.com", ".example.com"));
  CHECK_FALSE(covers("api.example.com", "api.example.co"));
}

TEST_CASE("the exact name wins over a wildcard, a wildcard over the default, and no SNI gets the default") {
  const std::vector<Candidate> c{{{"*.example.com"}}, {{"api.example.com", "www.example.com"}}, {{"default.local"}}};
  CHECK(pick(c, 2, "api.example.com") == 1u);
  CHECK(pick(c, 2, "other.example.com") == 0u);
  CHECK(pick(c, 2, "unknown.org") == 2u);
  CHECK(pick(c, 2, "") == 2u);
  CHECK_FALSE(pick(c, std::nullopt, "unknown.org").has_value());
}
