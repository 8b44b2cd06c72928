#pragma once
// Plain HTTP to 127.0.0.1:<port> for tests and benchmarks (libcurl; never through a bridge IP).
#include <chrono>
#include <optional>
#include <string>

namespace svl::test {

struct HttpReply {
  long status = 0;  // 0: no HTTP reply (refused, reset, timeout)
  std::string body;
};

HttpReply http_get(int port, const std::string& path = "/",
                   std::chrono::milliseconds timeout = std::chrono::seconds(2));

// Polls GET until a 200 arrives (Docker's userland proxy accepts before the app listens, so only
// an HTTP answer proves readiness). Returns the time it took, or nullopt after `deadline`.
std::optional<std::chrono::nanoseconds> wait_for_http_200(
    int port, const std::string& path = "/", std::chrono::milliseconds deadline = std::chrono::seconds(10),
    std::chrono::microseconds interval = std::chrono::milliseconds(1));

}  // namespace svl::test
