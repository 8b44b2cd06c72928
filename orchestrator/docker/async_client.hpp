#pragma once
// Runs Docker calls off the caller's thread: a fixed pool of workers, each owning a Client (and so
// its own kept-alive connection). Jobs run in submission order per free worker.
// Completion on an Asio executor: see async_asio.hpp (kept apart so this header stays Boost-free).
#include <cstddef>
#include <functional>
#include <memory>

#include "orchestrator/docker/client.hpp"

namespace svl::docker {

class AsyncClient {
public:
  using Job = std::function<void(Client&)>;

  explicit AsyncClient(ClientOptions options = {}, std::size_t workers = 4);
  // Stops taking jobs, runs the ones already queued, joins the workers.
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Thread-safe, never blocks on Docker. The job runs on a worker thread with that worker's Client.
  // Returns false (job dropped) once shutdown has begun.
  bool submit(Job job);

  std::size_t queued() const;   // jobs waiting for a worker
  std::size_t workers() const noexcept;
  void shutdown();              // as the destructor, callable early
  // Cuts the calls in flight and those still queued short: each completes with `cancelled`.
  void cancel();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace svl::docker
