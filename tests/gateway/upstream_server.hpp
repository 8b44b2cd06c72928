#pragma once
// An in-process HTTP upstream for the gateway tests, on 127.0.0.1 port 0, on its own thread.
// Paths: /slow?ms=N, /upload (counts a streamed body), /sse, /chunked, /ws (WebSocket echo),
// /reset (closes without answering), /hang (waits until the gateway cancels), /status/N;
// anything else echoes the request (JSON: id, method, target, headers, body size, peer_port: the
// gateway's port of the connection it came over).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace svl::gateway::test {

class UpstreamServer {
public:
  explicit UpstreamServer(std::string id);
  ~UpstreamServer();
  std::uint16_t port() const;
  const std::string& id() const;

  std::atomic<int> connections{0};     // accepted TCP connections
  std::atomic<int> requests{0};
  std::atomic<int> inflight{0};
  std::atomic<int> max_inflight{0};
  std::atomic<std::uint64_t> uploaded{0};  // bytes of the last /upload body
  std::atomic<bool> upload_was_chunked{false};
  std::atomic<int> hang_cancelled{0};  // /hang requests whose connection the gateway closed

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace svl::gateway::test
