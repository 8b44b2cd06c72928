#include "orchestrator/daemon/threaded_stream.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <thread>

namespace svl::orchestrator {

namespace asio = boost::asio;

void ChunkQueue::push(std::string chunk) {
  std::lock_guard lock(mutex_);
  chunks_.push_back(std::move(chunk));
}

AdminResponse threaded_stream(std::vector<StreamJob> jobs, asio::any_io_executor executor, std::string content_type,
                              std::string heartbeat) {
  struct Jobs {
    std::stop_source stop;
    std::vector<std::thread> threads;
    ~Jobs() {
      stop.request_stop();
      for (auto& t : threads) t.detach();
    }
  };
  auto queue = std::make_shared<ChunkQueue>();
  auto owner = std::make_shared<Jobs>();
  queue->running_ = static_cast<int>(jobs.size());
  for (auto& job : jobs) {
    owner->threads.emplace_back([queue, job = std::move(job), stop = owner->stop.get_token()] {
      job(*queue, stop);
      std::lock_guard lock(queue->mutex_);
      --queue->running_;
    });
  }
  AdminResponse response;
  response.content_type = std::move(content_type);
  response.next_chunk = [queue, owner, executor, heartbeat]() -> asio::awaitable<std::optional<std::string>> {
    asio::steady_timer timer(executor);
    const auto quiet_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (;;) {
      if (!heartbeat.empty() && std::chrono::steady_clock::now() >= quiet_until) co_return heartbeat;
      {
        std::lock_guard lock(queue->mutex_);
        if (!queue->chunks_.empty()) {
          std::string out;
          while (!queue->chunks_.empty()) {
            out += queue->chunks_.front();
            queue->chunks_.pop_front();
          }
          co_return out;
        }
        if (queue->running_ == 0) co_return std::nullopt;
      }
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::use_awaitable);
    }
  };
  return response;
}

}  // namespace svl::orchestrator
