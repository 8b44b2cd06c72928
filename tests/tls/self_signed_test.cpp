// The admin API's self-signed certificate: made with its names and a private key file, loaded by
// the certificate store, and fingerprinted as openssl prints it; fingerprints typed by users.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/common/temp_dir.hpp"
#include "tls/cert_store.hpp"
#include "tls/self_signed.hpp"

using namespace svl::tls;

TEST_CASE("a self-signed certificate names its hosts, keeps its key private, and loads") {
  svl::test::TempDir dir;
  const auto crt = dir.path() / "default.crt", key = dir.path() / "default.key";
  write_self_signed(crt, key, {"box.example", "127.0.0.1"});
  struct stat st {};
  REQUIRE(::stat(key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto info = inspect_certificate(crt);
  CHECK(info.error.empty());
  CHECK(info.names == std::vector<std::string>{"box.example"});  // the IP is an IP SAN, not a DNS name
  CHECK(info.not_after > std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 9));
  CertStore store(dir.path());
  store.reload();
  CHECK(store.context_for("") != nullptr);

  const auto fp = fingerprint_of_file(crt);
  CHECK(fp.starts_with("SHA256:"));
  CHECK(fp.size() == 7 + 64);
  // As openssl prints it: the same bytes.
  const auto cmd = "openssl x509 -noout -fingerprint -sha256 -in " + crt.string() + " > " + (dir.path() / "fp").string();
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(dir.path() / "fp");
  std::string line;
  std::getline(in, line);
  REQUIRE(line.find('=') != std::string::npos);
  CHECK(normalize_fingerprint(line.substr(line.find('=') + 1)) == fp);

  // A second certificate is another fingerprint.
  write_self_signed(dir.path() / "b.crt", dir.path() / "b.key", {"box.example"});
  CHECK(fingerprint_of_file(dir.path() / "b.crt") != fp);
  CHECK_THROWS_WITH(fingerprint_of_file(dir.path() / "none.crt"),
                    doctest::Contains("cannot open"));
}

TEST_CASE("fingerprints as users type them") {
  const std::string hex = "ab" + std::string(62, '0');
  CHECK(normalize_fingerprint("SHA256:" + hex) == "SHA256:" + hex);
  CHECK(normalize_fingerprint("sha256:AB" + std::string(62, '0')) == "SHA256:" + hex);
  std::string colons = "AB";
  for (int i = 0; i < 31; ++i) colons += ":00";
  CHECK(normalize_fingerprint(colons) == "SHA256:" + hex);
  CHECK_FALSE(normalize_fingerprint("SHA256:abc"));
  CHECK_FALSE(normalize_fingerprint("SHA256:" + std::string(64, 'g')));
}
