#include "orchestrator/registry/registry_error.hpp"

#include "common/error_category.hpp"

namespace svl::orchestrator {
namespace {

const char* message(RegistryErrc e) noexcept {
  switch (e) {
    case RegistryErrc::not_found: return "not found";
    case RegistryErrc::name_taken: return "name taken by another folder";
    case RegistryErrc::lease_held: return "held by another svl dev";
    case RegistryErrc::invalid: return "invalid request";
    case RegistryErrc::storage: return "storage error";
  }
  return "unknown registry error";
}

}  // namespace

const std::error_category& registry_category() noexcept {
  return svl::enum_category<RegistryErrc, "svl.registry", message>();
}

std::error_code make_error_code(RegistryErrc e) noexcept { return {static_cast<int>(e), registry_category()}; }

}  // namespace svl::orchestrator
