#include "orchestrator/dev/dev_name.hpp"

#include <cstdint>

namespace svl::dev {
namespace {

constexpr std::size_t kMaxLabel = 63;
constexpr std::string_view kSuffix = "-dev";

// FNV-1a 64: stable across builds and machines, unlike std::hash.
std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string hex8(std::uint64_t h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(8, '0');
  const auto folded = static_cast<std::uint32_t>(h ^ (h >> 32));
  for (int i = 0; i < 8; ++i) out[7 - i] = kDigits[(folded >> (4 * i)) & 0xf];
  return out;
}

}  // namespace

std::string dev_function_name(std::string_view name) {
  if (name.size() + kSuffix.size() <= kMaxLabel) return std::string(name) + std::string(kSuffix);
  const std::size_t keep = kMaxLabel - kSuffix.size() - 9;  // 9: "-" and 8 hex digits
  std::string_view cut = name.substr(0, keep);
  while (!cut.empty() && cut.back() == '-') cut.remove_suffix(1);  // no "--" before the hash
  return std::string(cut) + "-" + hex8(fnv1a64(name)) + std::string(kSuffix);
}

}  // namespace svl::dev
