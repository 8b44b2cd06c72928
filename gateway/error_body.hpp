#pragma once
// JSON bodies of the gateway's own answers: {"error": ..., "function": ..., "request_id": ...}.
#include <string>
#include <string_view>

namespace svl::gateway {
std::string error_body(std::string_view error, std::string_view function, std::string_view request_id,
                       std::string_view detail = {});
}
