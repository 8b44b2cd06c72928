#include "orchestrator/registry/registry_error.hpp"

namespace svl::orchestrator {
namespace {

class RegistryCategory final : public std::error_category {
public:
  const char* name() const noexcept override { return "svl.registry"; }
  std::string message(int value) const override {
    switch (static_cast<RegistryErrc>(value)) {
      case RegistryErrc::not_found: return "not found";
      case RegistryErrc::name_taken: return "name taken by another folder";
      case RegistryErrc::invalid: return "invalid request";
      case RegistryErrc::storage: return "storage error";
    }
    return "unknown registry error";
  }
};

}  // namespace

const std::error_category& registry_category() noexcept {
  static const RegistryCategory category;
  return category;
}

std::error_code make_error_code(RegistryErrc e) noexcept { return {static_cast<int>(e), registry_category()}; }

}  // namespace svl::orchestrator
