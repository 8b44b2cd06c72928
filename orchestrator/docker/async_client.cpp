#include "orchestrator/docker/async_client.hpp"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

namespace svl::docker {

struct AsyncClient::Impl {
  ClientOptions options;
  mutable std::mutex mutex;
  std::condition_variable ready;
  std::deque<Job> jobs;
  bool stopping = false;
  std::vector<std::thread> threads;
  std::stop_source cancel;

  void work() {
    Client client(options);  // one connection per worker, reused for every job it runs
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (jobs.empty()) return;  // stopping and drained
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      try {
        job(client);
      } catch (const std::exception& e) {
        // Jobs report through their own callbacks; a throwing job must not take the worker down.
        std::fprintf(stderr, "svl docker worker: job threw: %s\n", e.what());
      }
    }
  }
};

AsyncClient::AsyncClient(ClientOptions options, std::size_t workers) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->options.stop = impl_->cancel.get_token();
  if (workers == 0) workers = 1;
  for (std::size_t i = 0; i < workers; ++i) impl_->threads.emplace_back([impl = impl_.get()] { impl->work(); });
}

AsyncClient::~AsyncClient() { shutdown(); }

bool AsyncClient::submit(Job job) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return false;
    impl_->jobs.push_back(std::move(job));
  }
  impl_->ready.notify_one();
  return true;
}

std::size_t AsyncClient::queued() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->jobs.size();
}

std::size_t AsyncClient::workers() const noexcept { return impl_->threads.size(); }

void AsyncClient::cancel() { impl_->cancel.request_stop(); }

void AsyncClient::shutdown() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->ready.notify_all();
  for (auto& t : impl_->threads)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

}  // namespace svl::docker
