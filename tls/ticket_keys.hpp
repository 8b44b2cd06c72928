#pragma once
// Session tickets with rotating keys. OpenSSL's default is one random key for the life of the
// process, so a ticket stolen today decrypts traffic until the next restart. TicketKeys issues
// tickets under a key that is replaced every `lifetime` and still accepts the one before it (a
// ticket from it resumes, and the client is sent a fresh ticket); older tickets mean a full
// handshake. Keys live only in memory: a restart starts a new ring, as it should.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

struct ssl_ctx_st;

namespace svl::tls {

class TicketKeys {
public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit TicketKeys(std::chrono::seconds lifetime = std::chrono::hours(12), Clock now = {});

  // Makes `ctx` issue and accept tickets under this ring (it must outlive the context's handshakes).
  void attach(ssl_ctx_st* ctx);

  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};
    std::array<unsigned char, 32> hmac{};
    std::chrono::steady_clock::time_point made{};
  };
  // The key to issue under now (rotating first when the current one is `lifetime` old).
  Key current();
  // The key named `name` when it is current or the one before; `renew` when a new ticket is due.
  std::optional<Key> find(const unsigned char* name, bool& renew);
  std::uint64_t rotations() const;

private:
  void rotate_if_due(std::chrono::steady_clock::time_point now);
  std::chrono::seconds lifetime_;
  Clock now_;
  mutable std::mutex mu_;
  Key current_;
  std::optional<Key> previous_;
  std::uint64_t rotations_ = 0;
};

}  // namespace svl::tls
