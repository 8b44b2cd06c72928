#pragma once
// Tars made entry by entry (libarchive), so that a test can hold what svl's own packer never
// makes: "../" paths, absolute paths, links out of the context, fifos.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

namespace svl::test {

struct TarEntry {
  std::string path;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFIFO ...
  std::string target{};      // a symlink's target, or the hard link's
  bool hardlink{false};
};

// Writes the entries to `file`; regular files hold "FROM scratch\n".
inline void write_tar(const std::filesystem::path& file, const std::vector<TarEntry>& entries) {
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
}

}  // namespace svl::test
