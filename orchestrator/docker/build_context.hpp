#pragma once
// The build context: a folder packed into a tar (libarchive), minus what .dockerignore excludes.
#include <filesystem>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/docker/result.hpp"

namespace svl::docker {

// .dockerignore with Docker's semantics: '#' comments, `!` exceptions, `*`/`?`/`[..]` within one
// path element, `**` across any number of them, the last matching line wins, and a pattern that
// matches a directory excludes everything below it.
class DockerIgnore {
public:
  static Result<DockerIgnore> parse(std::string_view text);
  // `path` is relative to the context, '/'-separated.
  bool excluded(std::string_view path) const;
  bool empty() const noexcept { return patterns_.empty(); }
  // With a `!` line, files below an excluded directory may still be included.
  bool has_exceptions() const noexcept {
    for (const auto& p : patterns_)
      if (p.exception) return true;
    return false;
  }

private:
  struct Pattern {
    std::regex regex;
    bool exception;  // "!..."
  };
  std::vector<Pattern> patterns_;
};

// Tar of `dir` (regular files, directories and symlinks, owned by 0:0, sorted), honouring
// `dir/.dockerignore`. The Dockerfile and .dockerignore are always sent, as the Docker CLI does.
Result<std::string> make_build_context(const std::filesystem::path& dir,
                                       std::string_view dockerfile = "Dockerfile");
// The same tar written to `tar_file` as it is packed (a remote svl up's upload, never held whole).
Status write_build_context(const std::filesystem::path& dir, std::string_view dockerfile,
                           const std::filesystem::path& tar_file);

// The contents of the first regular file in a tar held in memory (Docker's container archive
// answer for one path); invalid_argument when there is none.
Result<std::string> first_file_of_tar(std::string_view tar);

// A build context that a client uploaded (POST /v1/builds), checked before Docker reads it: a
// tar whose entries are files, folders and links that all stay inside it (no absolute path, no
// ".." that climbs out, no link whose target does), holding `dockerfile` as a file. The error
// names the first entry at fault.
Status check_build_context(const std::filesystem::path& tar, std::string_view dockerfile = "Dockerfile");

}  // namespace svl::docker
