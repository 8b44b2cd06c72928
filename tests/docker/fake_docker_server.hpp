#pragma once
// An in-process stand-in for dockerd on a unix socket, for unit tests: answers each request with a
// canned reply chosen by the test, including broken ones (raw bytes, cut streams, hangs).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace svl::docker::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // "/v1.41/containers/json?all=1&..."
  std::string body;
  std::string path() const { return target.substr(0, target.find('?')); }
};

struct FakeReply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  // Streaming reply: sent chunked, one piece per chunk, `chunk_delay` apart; ends with the last
  // chunk unless `cut_stream` (connection closed mid-stream) or `hang_after_chunks`.
  std::vector<std::string> chunks;
  std::chrono::milliseconds chunk_delay{0};
  bool cut_stream = false;
  bool hang_after_chunks = false;
  std::optional<std::string> raw;  // written as-is instead of a response, then the connection closes
  bool hang = false;                // never answer (until the server stops)

  static FakeReply json(unsigned status, std::string body) {
    FakeReply r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static FakeReply error(unsigned status, const std::string& message) {
    return json(status, "{\"message\":\"" + message + "\"}");
  }
};

class FakeDockerServer {
public:
  // nullopt: default behaviour (/_ping -> "OK" with API-Version `api_version`, else 404).
  using Handler = std::function<std::optional<FakeReply>(const RecordedRequest&)>;

  explicit FakeDockerServer(Handler handler, std::string api_version = "1.41");
  ~FakeDockerServer();
  FakeDockerServer(const FakeDockerServer&) = delete;
  FakeDockerServer& operator=(const FakeDockerServer&) = delete;

  std::string host() const;  // "unix:///tmp/.../docker.sock"
  std::vector<RecordedRequest> requests() const;
  std::size_t connections() const;  // accepted so far

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One frame of Docker's multiplexed log stream: 8-byte header (stream, big-endian size), payload.
inline std::string frame(int stream, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  const auto n = static_cast<std::uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + payload;
}

}  // namespace svl::docker::testing
