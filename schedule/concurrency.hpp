#pragma once
// What a cron trigger does when a fire time comes while its last run is still in flight
// (Kubernetes CronJob's concurrencyPolicy); trigger.hpp acts on it. Its own header so that
// FunctionSpec can hold one without the rest of svl::schedule.
#include <optional>
#include <string_view>

namespace svl::schedule {

enum class Concurrency {
  forbid,   // skip the fire time
  allow,    // start another run beside it
  replace,  // cancel it and start a new run
};
std::string_view to_string(Concurrency c);
std::optional<Concurrency> concurrency_from_string(std::string_view text);

}  // namespace svl::schedule
