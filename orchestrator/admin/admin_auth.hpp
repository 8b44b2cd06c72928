#pragma once
// Who may do what over the remote admin API (docs/remote.md), as pure decisions: a request's
// needed scope from its method and path, tokens and their hashes, and the count of failed
// authentications per client address that turns a guessing client away with 429. The local unix
// socket needs none of this: its file mode is the trust boundary.
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace svl::orchestrator {

// Each scope allows what the ones before it allow.
enum class Scope { read, deploy, admin };

std::string_view to_string(Scope scope);
std::optional<Scope> scope_from_string(std::string_view text);
inline bool allows(Scope held, Scope needed) { return static_cast<int>(held) >= static_cast<int>(needed); }

// read: list and read status, logs, usage and cron runs. deploy: also up (builds included),
// rollback and scale. admin: everything else (down, tokens, secrets, databases), and any
// route not named here, so that a new route is closed until it is placed.
Scope required_scope(std::string_view method, std::string_view path);

// A new token: "svl_" and 43 base64url characters (256 random bits).
std::string new_token();
// What the registry keeps: the token's SHA-256, hex. Tokens are random, so a fast hash is enough.
std::string token_hash(std::string_view token);
// The token of an "Authorization: Bearer ..." header value, or "" when it is not one.
std::string_view bearer_token(std::string_view authorization);
// Token names: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
bool is_valid_token_name(std::string_view name);

// Failed authentications per client address. `threshold` failures within `window` lock the
// address out for `lockout` (every request then gets 429 with Retry-After, a right token too,
// so guessing on gains nothing). A success clears the address's count.
class AuthFailures {
public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    unsigned threshold = 10;
    std::chrono::seconds window{60};
    std::chrono::seconds lockout{60};
    std::size_t max_addresses = 10000;  // beyond it the stalest entries go: memory stays bounded
  };
  AuthFailures() : AuthFailures(Options{}) {}
  explicit AuthFailures(Options options) : options_(options) {}

  // Seconds until `address` may try again, or nullopt when it may now.
  std::optional<std::chrono::seconds> locked_out(const std::string& address, Clock::time_point now) const;
  void failed(const std::string& address, Clock::time_point now);
  void succeeded(const std::string& address) { entries_.erase(address); }
  std::size_t addresses() const { return entries_.size(); }

private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point first;  // of the failures counted
    Clock::time_point last;
    std::optional<Clock::time_point> locked_until;
  };
  void evict_stalest();
  Options options_;
  std::map<std::string, Entry> entries_;
};

}  // namespace svl::orchestrator
