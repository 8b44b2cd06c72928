#include "orchestrator/admin/admin_auth.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <stdexcept>

#include "common/hex.hpp"

namespace svl::orchestrator {

namespace {

constexpr std::array<std::string_view, 3> kScopeNames = {"read", "deploy", "admin"};

// /v1/functions/NAME/ACTION -> ACTION ("" for /v1/functions/NAME, nullopt for other paths).
std::optional<std::string_view> function_action(std::string_view path) {
  constexpr std::string_view prefix = "/v1/functions/";
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  const auto slash = path.find('/');
  if (path.empty() || slash == 0) return std::nullopt;
  return slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
}

}  // namespace

std::string_view to_string(Scope scope) { return kScopeNames[static_cast<std::size_t>(scope)]; }

std::optional<Scope> scope_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kScopeNames.size(); ++i)
    if (kScopeNames[i] == text) return static_cast<Scope>(i);
  return std::nullopt;
}

Scope required_scope(std::string_view method, std::string_view path) {
  const auto action = function_action(path);
  if (method == "GET") {
    if (path == "/v1/health" || path == "/v1/functions" || path == "/v1/usage") return Scope::read;
    if (action && (action->empty() || *action == "logs" || *action == "cron")) return Scope::read;
    return Scope::admin;  // tokens, secrets, databases
  }
  if (method == "PUT" && action && action->empty()) return Scope::deploy;
  if (method == "POST" && path == "/v1/builds") return Scope::deploy;
  if (method == "POST" && action && (*action == "ready" || *action == "rollback" || *action == "scale"))
    return Scope::deploy;
  return Scope::admin;
}

std::string new_token() {
  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
    throw std::runtime_error("the system's random source failed");
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "svl_";
  unsigned bits = 0, acc = 0;
  for (unsigned char b : random) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) out += alphabet[(acc >> (bits -= 6)) & 63];
  }
  if (bits) out += alphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::string token_hash(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &n, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return to_hex(digest, n);
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)  // the scheme is case-insensitive (RFC 9110)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(static_cast<unsigned char>(scheme[i])))
      return {};
  auto token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

bool is_valid_token_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (!first && (c == '.' || c == '_' || c == '-'));
  };
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!ok(name[i], i == 0)) return false;
  return true;
}

std::optional<std::chrono::seconds> AuthFailures::locked_out(const std::string& address, Clock::time_point now) const {
  auto it = entries_.find(address);
  if (it == entries_.end() || !it->second.locked_until || now >= *it->second.locked_until) return std::nullopt;
  // Rounded up: a client that waits Retry-After seconds is let in.
  const auto left = *it->second.locked_until - now;
  return std::chrono::ceil<std::chrono::seconds>(left);
}

void AuthFailures::failed(const std::string& address, Clock::time_point now) {
  if (!entries_.contains(address) && entries_.size() >= options_.max_addresses) evict_stalest();
  Entry& e = entries_[address];
  if (e.locked_until && now >= *e.locked_until) e = Entry{};  // served its lockout: a fresh count
  if (e.failures == 0 || now - e.first > options_.window) {
    e.failures = 0;
    e.first = now;
  }
  e.last = now;
  if (++e.failures >= options_.threshold) e.locked_until = now + options_.lockout;
}

void AuthFailures::evict_stalest() {
  auto stalest = std::min_element(entries_.begin(), entries_.end(),
                                  [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
  if (stalest != entries_.end()) entries_.erase(stalest);
}

}  // namespace svl::orchestrator
