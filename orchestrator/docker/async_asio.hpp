#pragma once
// Completing AsyncClient calls on an Asio executor (include only where Asio is used anyway).
//
//   docker::async_call(pool, [id](docker::Client& c) { return c.start_container(id); },
//                      boost::asio::bind_executor(strand, [](docker::Status s) { ... }));
//   auto info = co_await docker::async_call(pool, [&](auto& c) { return c.inspect_container(id); },
//                                           boost::asio::use_awaitable);
//
// The call runs on a worker; the handler runs on its associated executor (the strand above,
// or the coroutine's executor), never on the worker.
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "orchestrator/docker/async_client.hpp"

namespace svl::docker {

template <class F, class CompletionToken>
auto async_call(AsyncClient& pool, F call, CompletionToken&& token) {
  using R = std::invoke_result_t<F&, Client&>;  // a docker::Result<...>
  return boost::asio::async_initiate<CompletionToken, void(R)>(
      [&pool](auto handler, F call) {
        auto guard = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
        using Handler = decltype(handler);
        using Guard = decltype(guard);
        struct State {
          F call;
          Handler handler;
          Guard work;
          void complete(R result) {
            auto ex = work.get_executor();
            boost::asio::post(ex, [h = std::move(handler), r = std::move(result)]() mutable {
              std::move(h)(std::move(r));
            });
            work.reset();
          }
        };
        // std::function needs a copyable job: the move-only state lives in a shared_ptr.
        auto state = std::make_shared<State>(State{std::move(call), std::move(handler), std::move(guard)});
        // A call that throws still completes: the awaiting coroutine must not be left hanging.
        auto job = [state](Client& client) {
          std::optional<R> result;
          try {
            result.emplace(state->call(client));
          } catch (const std::exception& e) {
            result.emplace(Error{Errc::transport, 0, std::string("docker call failed: ") + e.what()});
          }
          state->complete(std::move(*result));
        };
        if (!pool.submit(job)) {
          state->complete(R(Error{Errc::cancelled, 0, "docker client pool is shut down"}));
        }
      },
      token, std::move(call));
}

}  // namespace svl::docker
