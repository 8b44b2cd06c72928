#include "orchestrator/docker/build_context.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include <archive.h>
#include <archive_entry.h>

namespace svl::docker {
namespace {

std::vector<std::string> split_clean(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view part = path.substr(pos, next - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    pos = next + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

// Docker's translation of a pattern into a regular expression (moby/patternmatcher).
Result<std::string> to_regex(std::string_view pattern) {
  std::string re = "^";
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '*') {
        ++i;
        if (i + 1 < pattern.size() && pattern[i + 1] == '/') ++i;  // "**/" is "**"
        re += i + 1 == pattern.size() ? ".*" : "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '\\') {
      if (i + 1 == pattern.size()) return Error{Errc::invalid_argument, 0, "trailing backslash in .dockerignore pattern"};
      re += '\\';
      re += pattern[++i];
    } else if (std::string_view(".+()|{}$^").find(c) != std::string_view::npos &&
               !(c == '^' && i > 0 && pattern[i - 1] == '[')) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  re += '$';
  return re;
}

}  // namespace

Result<DockerIgnore> DockerIgnore::parse(std::string_view text) {
  DockerIgnore ignore;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto last = line.find_last_not_of(" \t\r");
    std::string_view raw = std::string_view(line).substr(first, last - first + 1);
    bool exception = false;
    if (raw.front() == '!') {
      exception = true;
      raw.remove_prefix(1);
      while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
    }
    auto parts = split_clean(raw);
    std::string cleaned = join(parts, parts.size());
    if (cleaned.empty()) continue;  // "/" or "." alone match nothing useful
    auto re = to_regex(cleaned);
    if (!re) return std::move(re).error();
    try {
      ignore.patterns_.push_back(Pattern{std::regex(re.value()), exception});
    } catch (const std::regex_error& e) {
      return Error{Errc::invalid_argument, 0, "bad .dockerignore pattern '" + line + "': " + e.what()};
    }
  }
  return ignore;
}

bool DockerIgnore::excluded(std::string_view path) const {
  auto parts = split_clean(path);
  const std::string file = join(parts, parts.size());
  const std::size_t parent_depth = parts.empty() ? 0 : parts.size() - 1;
  bool matched = false;
  for (const auto& p : patterns_) {
    if (p.exception != matched) continue;  // cannot change the outcome
    bool match = std::regex_match(file, p.regex);
    // A pattern matching any parent directory matches the file (Docker skips that directory).
    for (std::size_t depth = 1; !match && depth <= parent_depth; ++depth)
      match = std::regex_match(join(parts, depth), p.regex);
    if (match) matched = !p.exception;
  }
  return matched;
}

namespace {

la_ssize_t write_callback(archive*, void* user, const void* data, size_t size) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct DiskDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

Error archive_error(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Error{Errc::invalid_argument, 0, what + ": " + (msg ? msg : "libarchive error")};
}

}  // namespace

namespace {

// Packs `dir` into the archive that `open` opens (a string, a file).
Status pack_build_context(const std::filesystem::path& dir, std::string_view dockerfile,
                          const std::function<int(archive*)>& open) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error{Errc::invalid_argument, 0, "build context is not a folder: " + dir.string()};

  DockerIgnore ignore;
  if (std::ifstream in{dir / ".dockerignore"}) {
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = DockerIgnore::parse(text.str());
    if (!parsed) return std::move(parsed).error();
    ignore = std::move(parsed.value());
  }
  auto dockerfile_parts = split_clean(dockerfile);
  const std::string dockerfile_path = join(dockerfile_parts, dockerfile_parts.size());

  // Collect first, then sort: the tar does not depend on directory order.
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    // lexically: fs::relative would resolve symlinks and name a link after its target.
    std::string rel = it->path().lexically_relative(dir).generic_string();
    bool always = rel == dockerfile_path || rel == ".dockerignore";
    if (!always && ignore.excluded(rel)) continue;  // a directory still gets walked: `!` may re-include
    paths.push_back(std::move(rel));
  }
  if (ec) return Error{Errc::invalid_argument, 0, "cannot read build context " + dir.string() + ": " + ec.message()};
  std::sort(paths.begin(), paths.end());

  std::unique_ptr<archive, ArchiveDeleter> out(archive_write_new());
  std::unique_ptr<archive, DiskDeleter> disk(archive_read_disk_new());
  archive_write_set_format_pax_restricted(out.get());
  archive_write_set_bytes_in_last_block(out.get(), 1);
  archive_read_disk_set_symlink_physical(disk.get());  // symlinks stay symlinks
  if (open(out.get()) != ARCHIVE_OK) return archive_error(out.get(), "cannot start tar");

  std::vector<char> buffer(64 * 1024);
  for (const auto& rel : paths) {
    const fs::path full = dir / rel;
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_copy_sourcepath(entry.get(), full.c_str());
    if (archive_read_disk_entry_from_file(disk.get(), entry.get(), -1, nullptr) != ARCHIVE_OK)
      return archive_error(disk.get(), "cannot stat " + full.string());
    auto type = archive_entry_filetype(entry.get());
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) continue;  // sockets, fifos ...
    archive_entry_set_pathname(entry.get(), rel.c_str());
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_uname(entry.get(), "");
    archive_entry_set_gname(entry.get(), "");
    archive_entry_set_nlink(entry.get(), 1);  // no hard-link entries: every file carries its data
    if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK)
      return archive_error(out.get(), "cannot add " + rel);
    if (type != AE_IFREG) continue;
    std::ifstream in(full, std::ios::binary);
    if (!in) return Error{Errc::invalid_argument, 0, "cannot read " + full.string()};
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      auto got = in.gcount();
      if (got > 0 && archive_write_data(out.get(), buffer.data(), static_cast<size_t>(got)) < 0)
        return archive_error(out.get(), "cannot write " + rel);
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) return archive_error(out.get(), "cannot finish tar");
  return {};
}

}  // namespace

Result<std::string> make_build_context(const std::filesystem::path& dir, std::string_view dockerfile) {
  std::string tar;
  auto packed = pack_build_context(dir, dockerfile, [&](archive* a) {
    return archive_write_open2(a, &tar, nullptr, write_callback, nullptr, nullptr);
  });
  if (!packed) return std::move(packed).error();
  return tar;
}

Status write_build_context(const std::filesystem::path& dir, std::string_view dockerfile,
                           const std::filesystem::path& tar_file) {
  return pack_build_context(dir, dockerfile,
                            [&](archive* a) { return archive_write_open_filename(a, tar_file.c_str()); });
}

namespace {

// The entry's path inside the context, or "" when it climbs out of it (or is absolute).
std::string inside(std::string_view path) {
  if (path.starts_with('/')) return {};
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto next = std::min(path.find('/', pos), path.size());
    const auto part = path.substr(pos, next - pos);
    if (part == "..") {
      if (parts.empty()) return {};
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = next + 1;
  }
  std::string out;
  for (auto part : parts) out += (out.empty() ? "" : "/") + std::string(part);
  return out.empty() ? "." : out;
}

}  // namespace

Result<std::string> first_file_of_tar(std::string_view tar) {
  std::unique_ptr<archive, DiskDeleter> in(archive_read_new());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_memory(in.get(), tar.data(), tar.size()) != ARCHIVE_OK) return archive_error(in.get(), "not a tar");
  archive_entry* entry = nullptr;
  while (archive_read_next_header(in.get(), &entry) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    std::string out;
    char buffer[16 * 1024];
    la_ssize_t n = 0;
    while ((n = archive_read_data(in.get(), buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
    if (n < 0) return archive_error(in.get(), "cannot read the tar's file");
    return out;
  }
  return Error{Errc::invalid_argument, 0, "the tar holds no file"};
}

Status check_build_context(const std::filesystem::path& tar, std::string_view dockerfile) {
  std::unique_ptr<archive, DiskDeleter> in(archive_read_new());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), tar.c_str(), 64 * 1024) != ARCHIVE_OK)
    return archive_error(in.get(), "the build context is not a tar");
  const std::string wanted = inside(dockerfile);
  bool found_dockerfile = false;
  archive_entry* entry = nullptr;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    const char* raw = archive_entry_pathname(entry);
    const std::string name = raw ? raw : "";
    auto refuse = [&](const std::string& why) { return Error{Errc::invalid_argument, 0, "build context entry \"" + name + "\" " + why}; };
    const std::string path = inside(name);
    if (path.empty()) return refuse("points outside the context (absolute, or climbs with ..)");
    const auto type = archive_entry_filetype(entry);
    if (const char* target = archive_entry_hardlink(entry); target && inside(target).empty())
      return refuse("is a hard link to \"" + std::string(target) + "\", outside the context");
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      const std::string t = target ? target : "";
      const auto slash = path.rfind('/');
      const std::string from = slash == std::string::npos ? "" : path.substr(0, slash + 1);
      if (t.empty() || inside(t.starts_with('/') ? t : from + t).empty())
        return refuse("is a link to \"" + t + "\", outside the context");
    } else if (type != AE_IFREG && type != AE_IFDIR && !archive_entry_hardlink(entry)) {
      return refuse("is neither a file, a folder nor a link (a device or fifo)");
    }
    if (path == wanted && type == AE_IFREG) found_dockerfile = true;
    archive_read_data_skip(in.get());
  }
  if (rc != ARCHIVE_EOF) return archive_error(in.get(), "the build context is not a whole tar");
  if (!found_dockerfile)
    return Error{Errc::invalid_argument, 0, "the build context has no file " + std::string(dockerfile) + " to build from"};
  return {};
}

}  // namespace svl::docker
