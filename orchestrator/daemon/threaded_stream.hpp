#pragma once
// A streamed admin answer fed by threads of its own (logs -f, builds): each job runs on a thread
// and pushes chunks; the answer hands them out as they come. When the client goes, the answer is
// destroyed: it asks the jobs to stop (their stop_token) and lets them finish on their own, so
// nothing joins itself and the control thread never waits on Docker.
#include <boost/asio/any_io_executor.hpp>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "orchestrator/admin/admin_server.hpp"

namespace svl::orchestrator {

class ChunkQueue {
public:
  void push(std::string chunk);

private:
  friend AdminResponse threaded_stream(std::vector<std::function<void(ChunkQueue&, std::stop_token)>>,
                                       boost::asio::any_io_executor, std::string, std::string);
  std::mutex mutex_;
  std::deque<std::string> chunks_;
  int running_ = 0;  // a job's last chunks and its end are one step under the lock
};

using StreamJob = std::function<void(ChunkQueue&, std::stop_token)>;

// A 200 answer of `content_type` whose body is what the jobs push, ending when all have returned.
// A `heartbeat` is sent after 2 s without a chunk: only a write notices a client that went away
// while the jobs had nothing to say (a build's long step).
AdminResponse threaded_stream(std::vector<StreamJob> jobs, boost::asio::any_io_executor executor,
                              std::string content_type, std::string heartbeat = {});

}  // namespace svl::orchestrator
