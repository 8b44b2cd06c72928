#include "tls/ticket_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <cstring>
#include <stdexcept>

namespace svl::tls {

namespace {

int ex_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

TicketKeys::Key make_key(std::chrono::steady_clock::time_point now) {
  TicketKeys::Key k;
  if (RAND_bytes(k.name.data(), k.name.size()) != 1 || RAND_bytes(k.aes.data(), k.aes.size()) != 1 ||
      RAND_bytes(k.hmac.data(), k.hmac.size()) != 1)
    throw std::runtime_error("no randomness for a session ticket key");
  k.made = now;
  return k;
}

bool set_mac_key(EVP_MAC_CTX* mac, const TicketKeys::Key& k) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(k.hmac.data()), k.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// OpenSSL's ticket callback: enc 1 names a key and starts encryption under it; enc 0 finds the
// key a ticket names (0: unknown, full handshake; 1: valid; 2: valid, issue a new ticket).
int on_ticket(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
              int enc) {
  auto* keys = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  if (!keys) return 0;
  if (enc == 1) {
    const auto k = keys->current();
    std::memcpy(key_name, k.name.data(), k.name.size());
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k.aes.data(), iv) != 1) return -1;
    return set_mac_key(mac, k) ? 1 : -1;
  }
  bool renew = false;
  const auto k = keys->find(key_name, renew);
  if (!k) return 0;
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k->aes.data(), iv) != 1) return -1;
  if (!set_mac_key(mac, *k)) return -1;
  return renew ? 2 : 1;
}

}  // namespace

TicketKeys::TicketKeys(std::chrono::seconds lifetime, Clock now)
    : lifetime_(lifetime), now_(now ? std::move(now) : Clock([] { return std::chrono::steady_clock::now(); })) {
  current_ = make_key(now_());
}

void TicketKeys::attach(ssl_ctx_st* ctx) {
  SSL_CTX_set_ex_data(ctx, ex_index(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket);
}

void TicketKeys::rotate_if_due(std::chrono::steady_clock::time_point now) {
  if (now - current_.made < lifetime_) return;
  // Idle longer than two lifetimes: the one before is too old to accept as well.
  previous_ = now - current_.made < 2 * lifetime_ ? std::optional<Key>(current_) : std::nullopt;
  current_ = make_key(now);
  ++rotations_;
}

TicketKeys::Key TicketKeys::current() {
  std::lock_guard lock(mu_);
  rotate_if_due(now_());
  return current_;
}

std::optional<TicketKeys::Key> TicketKeys::find(const unsigned char* name, bool& renew) {
  std::lock_guard lock(mu_);
  const auto now = now_();
  rotate_if_due(now);
  renew = false;
  if (std::memcmp(name, current_.name.data(), current_.name.size()) == 0) return current_;
  if (previous_ && std::memcmp(name, previous_->name.data(), previous_->name.size()) == 0 &&
      now - previous_->made < 2 * lifetime_) {
    renew = true;
    return previous_;
  }
  return std::nullopt;
}

std::uint64_t TicketKeys::rotations() const {
  std::lock_guard lock(mu_);
  return rotations_;
}

}  // namespace svl::tls
