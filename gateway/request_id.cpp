#include "gateway/request_id.hpp"

#include <cstdint>
#include <random>

namespace svl::gateway {

std::string generate_request_id() {
  // A random per-thread prefix plus a counter: unique without coordination between threads.
  thread_local const std::uint64_t prefix = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  thread_local std::uint64_t counter = 0;
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(32, '0');
  std::uint64_t a = prefix, b = ++counter;
  for (int i = 15; i >= 0; --i, a >>= 4) id[static_cast<std::size_t>(i)] = hex[a & 15];
  for (int i = 31; i >= 16; --i, b >>= 4) id[static_cast<std::size_t>(i)] = hex[b & 15];
  return id;
}

}  // namespace svl::gateway
