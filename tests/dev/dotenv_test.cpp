#include <doctest/doctest.h>

#include <string>

#include "orchestrator/dev/dotenv.hpp"

using svl::dev::Dotenv;
using svl::dev::parse_dotenv;
using svl::orchestrator::SpecErrc;

namespace {

Dotenv ok(std::string_view text) {
  auto r = parse_dotenv(text);
  if (!r) FAIL_CHECK(svl::orchestrator::to_string(r.error()));
  REQUIRE(r);
  return r.value();
}

}  // namespace

TEST_CASE("NAME=value lines, comments and blank lines") {
  CHECK(ok("# a comment\n\nA=1\n   \n  # indented comment\nB=two\n") == Dotenv{{"A", "1"}, {"B", "two"}});
  CHECK(ok("").empty());
  CHECK(ok("A=1").at("A") == "1");  // no final newline
  CHECK(ok("A=1\r\nB=2\r\n") == Dotenv{{"A", "1"}, {"B", "2"}});
  CHECK(ok("EMPTY=\n").at("EMPTY").empty());
}

TEST_CASE("an export prefix is accepted") {
  CHECK(ok("export A=1\nexport\tB=2\n") == Dotenv{{"A", "1"}, {"B", "2"}});
  CHECK(ok("exported=3\n").at("exported") == "3");  // a name that starts with export
}

TEST_CASE("unquoted values are trimmed and ' #' starts a comment") {
  CHECK(ok("A =  spaced out  \n").at("A") == "spaced out");
  CHECK(ok("A=value # comment\n").at("A") == "value");
  CHECK(ok("A=a#b\n").at("A") == "a#b");
  CHECK(ok("A=#x\n").at("A") == "#x");
  CHECK(ok("A=http://x/#frag\n").at("A") == "http://x/#frag");
  CHECK(ok("A= # only a comment\n").at("A").empty());
  CHECK(ok("A=x=y\n").at("A") == "x=y");
}

TEST_CASE("single-quoted values are literal") {
  CHECK(ok("A='  a \\n \"b\" # c '\n").at("A") == "  a \\n \"b\" # c ");
  CHECK(ok("A='x' # comment\n").at("A") == "x");
}

TEST_CASE("double-quoted values know \\n \\t \\\" \\\\ and keep other backslashes") {
  CHECK(ok(R"(A="a\nb\tc\"d\\e # not a comment")").at("A") == "a\nb\tc\"d\\e # not a comment");
  CHECK(ok(R"(A="C:\dir")").at("A") == "C:\\dir");
  CHECK(ok("A=\"x\" # comment\n").at("A") == "x");
}

TEST_CASE("a double-quoted value may span lines, and the lines after it keep their numbers") {
  auto r = parse_dotenv("KEY=\"-----BEGIN-----\nabc\n-----END-----\"\nB=2\nbroken\n");
  REQUIRE_FALSE(r);
  REQUIRE(r.error().size() == 1);
  CHECK(r.error()[0].line == 5);  // counted through the three lines of KEY
  auto good = ok("KEY=\"line one\nline two\"\nB=2\n");
  CHECK(good.at("KEY") == "line one\nline two");
  CHECK(good.at("B") == "2");
}

TEST_CASE("a later key wins") {
  CHECK(ok("A=1\nB=x\nA=2\n") == Dotenv{{"A", "2"}, {"B", "x"}});
}

TEST_CASE("names must be valid environment names") {
  CHECK(ok("_a1=x\nA_B=y\n").size() == 2);
  for (std::string_view bad : {"1A=x", "A-B=x", "A.B=x", "A B=x", "=x", "É=x"}) {
    CAPTURE(bad);
    auto r = parse_dotenv(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error()[0].code == SpecErrc::bad_value);
    CHECK(r.error()[0].message.find("not a valid variable name") != std::string::npos);
  }
}

TEST_CASE("PORT is refused: svl sets it from svl.toml") {
  auto r = parse_dotenv("A=1\nPORT=3000\n");
  REQUIRE_FALSE(r);
  REQUIRE(r.error().size() == 1);
  CHECK(r.error()[0].line == 2);
  CHECK(r.error()[0].message.find("svl.toml's port") != std::string::npos);
  CHECK(r.error()[0].to_string().rfind(".env:2: ", 0) == 0);
}

TEST_CASE("every malformed line is reported with file:line") {
  const std::string text =
      "OK=1\n"           // 1
      "no equals sign\n" // 2
      "# fine\n"         // 3
      "9LIVES=x\n"       // 4
      "Q='open\n"        // 5
      "R=\"x\" junk\n"   // 6
      "S=fine\n"         // 7
      "T=\"never closed\nU=1\n";  // 8
  auto r = parse_dotenv(text, "app/.env");
  REQUIRE_FALSE(r);
  const auto& errors = r.error();
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].to_string() == "app/.env:2: expected NAME=value");
  CHECK(errors[1].line == 4);
  CHECK(errors[2].line == 5);
  CHECK(errors[2].message == "unterminated single-quoted value");
  CHECK(errors[3].line == 6);
  CHECK(errors[3].message == "unexpected text after the closing quote");
  CHECK(errors[4].line == 8);
  CHECK(errors[4].message == "unterminated double-quoted value");
}

TEST_CASE("text after a multi-line value's closing quote is checked on the closing line") {
  auto r = parse_dotenv("A=\"one\ntwo\" junk\n");
  REQUIRE_FALSE(r);
  CHECK(r.error()[0].line == 2);
}
