#pragma once
// From a function's svl.toml to its autoscaler: the concurrency scaler's bounds and target, and
// the keep-alive policy named by [scale] policy.
#include <memory>

#include "autoscaler/function_autoscaler.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::control {

using orchestrator::FunctionSpec;
using orchestrator::ScalePolicy;

std::unique_ptr<autoscaler::FunctionAutoscaler> make_autoscaler(const FunctionSpec& spec, long min, long max,
                                                                Duration tick, TimePoint now);

}  // namespace svl::control
