#include "gateway/svl_calls.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>

namespace svl::gateway {

bool is_internal(std::optional<std::string_view> value, std::string_view token) {
  if (!value || token.empty() || value->size() != token.size()) return false;
  unsigned char diff = 0;  // no early exit: the time taken does not tell how much matched
  for (std::size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>((*value)[i] ^ token[i]);
  return diff == 0;
}

std::optional<std::chrono::milliseconds> internal_timeout(std::optional<std::string_view> value) {
  if (!value || value->empty()) return std::nullopt;
  long long ms = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), ms);
  if (ec != std::errc() || end != value->data() + value->size()) return std::nullopt;
  if (ms < 1 || ms > 24LL * 3600 * 1000) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

std::optional<std::string> comparable_path(std::string_view target) {
  if (!target.empty() && target.front() != '/') {  // absolute-form
    const auto u = boost::urls::parse_absolute_uri(target);
    if (!u) return std::nullopt;
    target = u->encoded_path();
    if (target.empty()) target = "/";
  }
  target = target.substr(0, target.find('?'));
  const auto encoded = boost::urls::make_pct_string_view(target);
  if (!encoded) return std::nullopt;
  const std::string decoded = encoded->decode();
  // Segments, with "." and ".." resolved and empty ones (repeated or trailing slashes) dropped.
  std::vector<std::string_view> segments;
  std::string_view rest(decoded);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string out;
  for (const auto s : segments) {
    out += '/';
    out += s;
  }
  return out.empty() ? std::string("/") : out;
}

bool names_private_path(std::span<const std::string> paths, std::string_view target) {
  if (paths.empty()) return false;
  const auto path = comparable_path(target);
  if (!path) return true;  // not a path we can read: refused rather than let through
  return std::find(paths.begin(), paths.end(), *path) != paths.end();
}

}  // namespace svl::gateway
