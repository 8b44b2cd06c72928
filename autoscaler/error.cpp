#include "autoscaler/error.hpp"

namespace svl::autoscaler {
namespace {

class Category final : public std::error_category {
public:
  const char* name() const noexcept override { return "svl.autoscaler"; }
  std::string message(int value) const override {
    switch (static_cast<Error>(value)) {
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
};

}  // namespace

const std::error_category& error_category() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Error e) { return {static_cast<int>(e), error_category()}; }

}  // namespace svl::autoscaler
