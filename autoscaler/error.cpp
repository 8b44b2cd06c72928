#include "autoscaler/error.hpp"

#include "common/error_category.hpp"

namespace svl::autoscaler {
namespace {

const char* message(Error e) noexcept {
  switch (e) {
    case Error::bad_config: return "bad autoscaler configuration";
    case Error::unknown_policy: return "unknown keep-alive policy";
    case Error::file_not_found: return "file not found";
    case Error::empty_file: return "empty file";
    case Error::missing_column: return "missing column";
    case Error::bad_field_count: return "wrong number of fields";
    case Error::bad_number: return "not a number";
  }
  return "unknown autoscaler error";
}

}  // namespace

const std::error_category& error_category() { return svl::enum_category<Error, "svl.autoscaler", message>(); }

std::error_code make_error_code(Error e) { return {static_cast<int>(e), error_category()}; }

}  // namespace svl::autoscaler
