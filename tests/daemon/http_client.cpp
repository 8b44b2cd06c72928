#include "tests/daemon/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

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

// Sets up one transfer whose answer lands in `reply`; returns the header list to free after it.
curl_slist* prepare(CURL* curl, Reply& reply, const std::string& method, const std::string& url,
                    const std::string& host, const std::string& body, std::chrono::milliseconds timeout) {
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
  return headers;
}

Reply perform(CURL* curl, const std::string& method, const std::string& url, const std::string& host,
              const std::string& body, std::chrono::milliseconds timeout) {
  Reply reply;
  curl_slist* headers = prepare(curl, reply, method, url, host, body, timeout);
  auto t0 = std::chrono::steady_clock::now();
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.done_at = std::chrono::steady_clock::now();
  reply.seconds = std::chrono::duration<double>(reply.done_at - t0).count();
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
  // One thread drives every transfer (libcurl's multi interface), as a load generator on another
  // machine would: 200 client threads would compete for this box's two cores with what is measured.
  const auto n = static_cast<std::size_t>(count);
  std::vector<Reply> replies(n);
  std::vector<CURL*> handles(n);
  std::vector<curl_slist*> headers(n);
  CURLM* multi = curl_multi_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  for (std::size_t i = 0; i < n; ++i) {
    handles[i] = curl_easy_init();
    headers[i] = prepare(handles[i], replies[i], "GET", url, {}, {}, timeout);
    curl_easy_setopt(handles[i], CURLOPT_PRIVATE, reinterpret_cast<char*>(&replies[i]));
    curl_easy_setopt(handles[i], CURLOPT_FRESH_CONNECT, 1L);  // `count` connections, as `count` clients would
  }
  // Every reply's time runs from the moment the whole burst starts: the slowest is when all are
  // answered. Each transfer is started as soon as it is added, so the first request leaves at once
  // instead of after all `count` connects.
  const auto t0 = std::chrono::steady_clock::now();
  int running = 0;
  for (std::size_t i = 0; i < n; ++i) {
    curl_multi_add_handle(multi, handles[i]);
    curl_multi_perform(multi, &running);
  }
  running = 1;
  while (running > 0) {
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      char* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      auto* reply = reinterpret_cast<Reply*>(priv);
      if (msg->data.result == CURLE_OK) curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &reply->status);
      reply->done_at = std::chrono::steady_clock::now();
      reply->seconds = std::chrono::duration<double>(reply->done_at - t0).count();
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  for (std::size_t i = 0; i < n; ++i) {
    curl_multi_remove_handle(multi, handles[i]);
    curl_easy_cleanup(handles[i]);
    curl_slist_free_all(headers[i]);
  }
  curl_multi_cleanup(multi);
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
