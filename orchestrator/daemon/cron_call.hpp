#pragma once
// A cron trigger's call, made through svl's own gateway like any request: so it wakes the
// function from zero, is held, counted in metrics and usage, and its path can be private
// (X-Svl-Internal carries the daemon's token; gateway/svl_calls.hpp).
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator {

struct GatewayCall {
  std::string host = "127.0.0.1";  // the gateway's plain listener
  std::uint16_t port = 0;
  std::string token;  // X-Svl-Internal
  std::string function;
  CronSpec cron;
  std::chrono::milliseconds upstream_timeout{60000};  // the trigger's timeout, else [http] timeout
  std::chrono::milliseconds deadline{90000};          // the whole call: wake, hold and answer
};

struct CallResult {
  std::optional<int> status;  // nullopt: no answer
  bool timed_out = false;     // the deadline passed, or the gateway answered 504
  bool cancelled = false;
  std::string detail;         // an error's first bytes: the transport's message, or the body
};

boost::asio::awaitable<CallResult> call_through_gateway(GatewayCall call);

}  // namespace svl::orchestrator
