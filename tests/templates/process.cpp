#include "tests/templates/process.hpp"

#include <curl/curl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace svl::test {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

ProcessResult run_command(const std::string& command, std::chrono::seconds timeout) {
  TempDir io("svl-cmd");
  const auto out_path = io.path() / "out";
  const auto err_path = io.path() / "err";
  // -k: a command that ignores SIGTERM is killed 5 s later, so the bound holds.
  const std::string wrapped = "timeout -k 5 " + std::to_string(timeout.count()) + " sh -c " + shell_quote(command) +
                              " >" + shell_quote(out_path.string()) + " 2>" + shell_quote(err_path.string()) +
                              " </dev/null";
  const int status = std::system(wrapped.c_str());
  ProcessResult result;
  if (status == -1) throw std::runtime_error("cannot run a shell for: " + command);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

namespace {

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// A GET, or a JSON POST when `post_body` is set.
HttpAnswer http_request(const std::string& url, const std::string* post_body, std::chrono::milliseconds timeout) {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw std::runtime_error("curl_easy_init failed");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_slist* headers = nullptr;
  if (post_body != nullptr) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  const CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
    const char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) answer.content_type = type;
  } else {
    answer.error = curl_easy_strerror(code);
  }
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  return answer;
}

}  // namespace

HttpAnswer http_get(const std::string& url, std::chrono::milliseconds timeout) { return http_request(url, nullptr, timeout); }

HttpAnswer http_post_json(const std::string& url, const std::string& body, std::chrono::milliseconds timeout) {
  return http_request(url, &body, timeout);
}

}  // namespace svl::test
