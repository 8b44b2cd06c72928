#pragma once
// HTTP through the gateway for integration tests (libcurl, loopback only).
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace svl::test {

struct Reply {
  long status = 0;  // 0: no HTTP answer
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  double seconds = 0;
  std::chrono::steady_clock::time_point done_at;  // when the answer (or the failure) came
};

Reply http(const std::string& method, int port, const std::string& path, const std::string& host_header = {},
           const std::string& body = {}, std::chrono::milliseconds timeout = std::chrono::seconds(30));
inline Reply get(int port, const std::string& path, const std::string& host = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return http("GET", port, path, host, {}, timeout);
}

// `count` GETs at once, each on its own connection, driven by one thread; replies in request
// order, each timed from the start of the burst.
std::vector<Reply> get_concurrently(int port, const std::string& path, int count,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A request to the admin API on its unix socket.
Reply admin_request(const std::string& socket, const std::string& method, const std::string& path,
                    const std::string& body = {});

}  // namespace svl::test
