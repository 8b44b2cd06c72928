#include "tests/daemon/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <thread>

namespace svl::test {
namespace {

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string key = line.substr(0, colon), value = line.substr(colon + 1);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    value.erase(0, value.find_first_not_of(' '));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(user))[key] = value;
  }
  return size * n;
}

Reply perform(CURL* curl, const std::string& method, const std::string& url, const std::string& host,
              const std::string& body, std::chrono::milliseconds timeout) {
  Reply reply;
  curl_slist* headers = nullptr;
  if (!host.empty()) headers = curl_slist_append(headers, ("Host: " + host).c_str());
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  auto t0 = std::chrono::steady_clock::now();
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  curl_slist_free_all(headers);
  return reply;
}

}  // namespace

Reply http(const std::string& method, int port, const std::string& path, const std::string& host,
           const std::string& body, std::chrono::milliseconds timeout) {
  CURL* curl = curl_easy_init();
  auto reply = perform(curl, method, "http://127.0.0.1:" + std::to_string(port) + path, host, body, timeout);
  curl_easy_cleanup(curl);
  return reply;
}

std::vector<Reply> get_concurrently(int port, const std::string& path, int count, std::chrono::milliseconds timeout) {
  std::vector<Reply> replies(static_cast<size_t>(count));
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i)
    threads.emplace_back([&, i] { replies[static_cast<size_t>(i)] = get(port, path, {}, timeout); });
  for (auto& t : threads) t.join();
  return replies;
}

Reply admin_request(const std::string& socket, const std::string& method, const std::string& path,
                    const std::string& body) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  auto reply = perform(curl, method, "http://svl" + path, {}, body, std::chrono::seconds(60));
  curl_easy_cleanup(curl);
  return reply;
}

}  // namespace svl::test
