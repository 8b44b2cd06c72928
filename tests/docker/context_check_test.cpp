// check_build_context: what an uploaded context may hold (POST /v1/builds), entry by entry.
#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

#include "orchestrator/docker/build_context.hpp"
#include "tests/common/temp_dir.hpp"

using namespace svl::docker;
namespace fs = std::filesystem;

namespace {

struct Entry {
  std::string path;
  unsigned type = AE_IFREG;
  std::string target{};  // symlink target, or the hard link's
  bool hardlink{false};
};

// A tar of the entries written to `file` (libarchive, so that it can hold what our packer never makes).
fs::path write_tar(const svl::test::TempDir& dir, const std::vector<Entry>& entries) {
  const fs::path file = dir.path() / "context.tar";
  archive* out = archive_write_new();
  archive_write_set_format_pax_restricted(out);
  REQUIRE(archive_write_open_filename(out, file.c_str()) == ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, 0644);
    if (e.hardlink) archive_entry_set_hardlink(entry, e.target.c_str());
    else if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.target.c_str());
    const std::string data = e.type == AE_IFREG && !e.hardlink ? "FROM scratch\n" : "";
    archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
    REQUIRE(archive_write_header(out, entry) == ARCHIVE_OK);
    if (!data.empty()) archive_write_data(out, data.data(), data.size());
    archive_entry_free(entry);
  }
  archive_write_close(out);
  archive_write_free(out);
  return file;
}

std::string refusal(const std::vector<Entry>& entries, std::string_view dockerfile = "Dockerfile") {
  svl::test::TempDir dir;
  auto checked = check_build_context(write_tar(dir, entries), dockerfile);
  return checked.ok() ? std::string() : checked.error().message;
}

}  // namespace

TEST_CASE("a context of files, folders and links inside it passes") {
  CHECK(refusal({{"Dockerfile"}, {"src", AE_IFDIR}, {"src/app.js"}, {"src/link", AE_IFLNK, "app.js"},
                 {"src/up", AE_IFLNK, "../Dockerfile"}, {"./src/../copy", AE_IFREG, "src/app.js", true}}) == "");
  CHECK(refusal({{"deploy/Containerfile"}}, "deploy/Containerfile") == "");
}

TEST_CASE("an entry outside the context is refused, by name") {
  CHECK(refusal({{"Dockerfile"}, {"../escape"}}).find("entry \"../escape\" points outside") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"a/../../escape"}}).find("\"a/../../escape\"") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"/etc/cron.d/x"}}).find("\"/etc/cron.d/x\" points outside") != std::string::npos);
}

TEST_CASE("a link whose target leaves the context is refused") {
  CHECK(refusal({{"Dockerfile"}, {"etc", AE_IFLNK, "/etc"}}).find("entry \"etc\" is a link to \"/etc\"") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"a/up", AE_IFLNK, "../../x"}}).find("\"a/up\" is a link") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"h", AE_IFREG, "../../etc/shadow", true}}).find("is a hard link") != std::string::npos);
}

TEST_CASE("devices and fifos are refused") {
  CHECK(refusal({{"Dockerfile"}, {"pipe", AE_IFIFO}}).find("entry \"pipe\" is neither") != std::string::npos);
  CHECK(refusal({{"Dockerfile"}, {"disk", AE_IFBLK}}).find("\"disk\"") != std::string::npos);
}

TEST_CASE("a context without its Dockerfile, or not a tar, is refused") {
  CHECK(refusal({{"app.js"}}).find("no file Dockerfile") != std::string::npos);
  CHECK(refusal({{"Dockerfile", AE_IFDIR}}).find("no file Dockerfile") != std::string::npos);
  svl::test::TempDir dir;
  std::ofstream(dir.path() / "junk") << "this is not a tar at all, just some text that goes on long enough";
  auto checked = check_build_context(dir.path() / "junk");
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.error().message.find("not") != std::string::npos);
}
