#include "tests/support/http_probe.hpp"

#include <thread>

#include <curl/curl.h>

namespace svl::test {
namespace {

size_t collect(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

HttpReply get_once(CURL* curl, int port, const std::string& path, std::chrono::milliseconds timeout) {
  HttpReply reply;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

struct Easy {
  CURL* curl = curl_easy_init();
  ~Easy() { curl_easy_cleanup(curl); }
};

}  // namespace

HttpReply http_get(int port, const std::string& path, std::chrono::milliseconds timeout) {
  Easy easy;
  return get_once(easy.curl, port, path, timeout);
}

std::optional<std::chrono::nanoseconds> wait_for_http_200(int port, const std::string& path,
                                                          std::chrono::milliseconds deadline,
                                                          std::chrono::microseconds interval) {
  const auto start = std::chrono::steady_clock::now();
  Easy easy;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now - start > deadline) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - (now - start));
    auto reply = get_once(easy.curl, port, path, std::min(left, std::chrono::milliseconds(1000)) + std::chrono::milliseconds(1));
    if (reply.status == 200) return std::chrono::steady_clock::now() - start;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace svl::test
