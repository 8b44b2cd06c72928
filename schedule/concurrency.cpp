#include "schedule/concurrency.hpp"

namespace svl::schedule {

std::string_view to_string(Concurrency c) {
  switch (c) {
    case Concurrency::forbid: return "forbid";
    case Concurrency::allow: return "allow";
    case Concurrency::replace: return "replace";
  }
  return "forbid";
}

std::optional<Concurrency> concurrency_from_string(std::string_view text) {
  if (text == "forbid") return Concurrency::forbid;
  if (text == "allow") return Concurrency::allow;
  if (text == "replace") return Concurrency::replace;
  return std::nullopt;
}

}  // namespace svl::schedule
