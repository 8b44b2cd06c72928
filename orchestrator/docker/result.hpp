#pragma once
// Every Docker client operation returns a value or a docker::Error (common/result.hpp).
#include "common/result.hpp"
#include "orchestrator/docker/error.hpp"

namespace svl::docker {

template <class T>
using Result = svl::Result<T, Error>;

using Status = Result<void>;

}  // namespace svl::docker
