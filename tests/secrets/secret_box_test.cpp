// The secret box: a key file made at first use (0600, 32 bytes), values sealed with a fresh nonce
// each time, and every way opening must fail: a changed byte, a cut value, another key; and the
// key file missing, unreadable or of the wrong size, each named in the error.
#include <doctest/doctest.h>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "orchestrator/secrets/secret_box.hpp"
#include "tests/common/temp_dir.hpp"

using svl::secrets::SecretBox;
using Mode = SecretBox::KeyMode;

TEST_CASE("a key file is made at first use, 0600, and opens what it sealed") {
  svl::test::TempDir dir;
  const auto key = dir.path() / "secret.key";
  auto box = SecretBox::load(key, Mode::create_if_missing);
  REQUIRE(box);
  struct stat st {};
  REQUIRE(::stat(key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_size == 32);
  const std::string binary("p\0ss\xff\nword", 10);
  const auto sealed = box->seal(binary);
  CHECK(sealed.find("ss") == std::string::npos);  // not in the clear
  CHECK(sealed != box->seal(binary));              // a fresh nonce each time
  auto again = SecretBox::load(key, Mode::existing);  // read back, not made anew
  REQUIRE(again);
  auto opened = again->open(sealed);
  REQUIRE(opened);
  CHECK(*opened == binary);
  auto empty = again->open(box->seal(""));
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("a tampered, truncated or foreign sealed value does not open") {
  std::array<unsigned char, 32> k1{}, k2{};
  k2[0] = 1;
  const auto box = SecretBox::from_key(k1);
  const auto sealed = box.seal("db-password-value");
  for (std::size_t i : {std::size_t{0}, std::size_t{30}, sealed.size() - 1}) {
    auto changed = sealed;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    auto opened = box.open(changed);
    REQUIRE_FALSE(opened);
    CHECK(opened.error().message.find("tampered") != std::string::npos);
  }
  CHECK_FALSE(box.open(sealed.substr(0, sealed.size() - 1)));
  auto short_one = box.open(sealed.substr(0, 10));
  REQUIRE_FALSE(short_one);
  CHECK(short_one.error().message.find("too short") != std::string::npos);
  CHECK_FALSE(SecretBox::from_key(k2).open(sealed));
}

TEST_CASE("a missing, wrong-sized or unreadable key file is an error naming its path") {
  svl::test::TempDir dir;
  const auto key = dir.path() / "secret.key";
  auto missing = SecretBox::load(key, Mode::existing);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find(key.string()) != std::string::npos);
  CHECK(missing.error().message.find("missing") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(key));  // never made where one is expected

  std::ofstream(key) << "too short";
  auto wrong = SecretBox::load(key, Mode::create_if_missing);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("wrong size") != std::string::npos);
  CHECK(wrong.error().message.find(key.string()) != std::string::npos);
  std::ofstream(key) << std::string(33, 'k');
  CHECK_FALSE(SecretBox::load(key, Mode::existing));

  std::filesystem::remove(key);
  std::filesystem::create_directory(key);  // unreadable as a file, for root too
  auto unreadable = SecretBox::load(key, Mode::existing);
  REQUIRE_FALSE(unreadable);
  CHECK(unreadable.error().message.find(key.string()) != std::string::npos);
}

TEST_CASE("base64 round trip of binary values, and junk refused") {
  const std::string bytes("\0\x01\xfe\xff abc", 8);
  std::string back;
  REQUIRE(svl::secrets::from_base64(svl::secrets::to_base64(bytes), back));
  CHECK(back == bytes);
  CHECK(svl::secrets::to_base64("hi") == "aGk=");
  CHECK_FALSE(svl::secrets::from_base64("not base64!", back));
  CHECK(back.empty());
}
