#pragma once
// Test helpers shared by the template integration tests: run a command, GET or POST a URL.
#include <chrono>
#include <filesystem>
#include <string>

#include "tests/common/temp_dir.hpp"

namespace svl::test {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `command` with /bin/sh, bounded by `timeout` (coreutils timeout(1), exit code 124 then).
ProcessResult run_command(const std::string& command, std::chrono::seconds timeout = std::chrono::seconds(60));

// Single-quotes a string for /bin/sh.
std::string shell_quote(const std::string& text);

struct HttpAnswer {
  long status = 0;  // 0 when no HTTP answer came (refused, reset, timed out)
  std::string content_type;
  std::string body;
  std::string error;  // curl's message when status is 0
};

HttpAnswer http_get(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(5));
// POST `body` with `Content-Type: application/json`.
HttpAnswer http_post_json(const std::string& url, const std::string& body,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));

std::string read_text(const std::filesystem::path& path);

}  // namespace svl::test
