#pragma once
// X-Request-Id values: 32 hex digits, unique per process run, cheap (no lock, no syscall).
#include <string>

namespace svl::gateway {
std::string generate_request_id();
}
