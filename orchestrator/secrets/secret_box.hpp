#pragma once
// A secret's value sealed for the registry: libsodium's crypto_secretbox (XSalsa20-Poly1305)
// with a 32-byte key kept in a file of its own (<state-dir>/secret.key, mode 0600). Each seal
// takes a fresh random nonce; the sealed form is nonce || box, so a tampered or truncated value,
// or one sealed with another key, fails to open instead of yielding garbage.
#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace svl::secrets {

inline constexpr std::size_t kMaxSecretBytes = 64 * 1024;  // a value larger than this is refused

struct BoxError {
  std::string message;  // names the key file or what is wrong with the sealed value
};

class SecretBox {
public:
  static constexpr std::size_t key_bytes = 32;

  enum class KeyMode {
    existing,           // the key file must be there (secrets were sealed with it)
    create_if_missing,  // first use: made with a random key, 0600
  };
  // Reads (or creates) the key. Errors name the path: missing, unreadable, wrong size, not 0600-able.
  static Result<SecretBox, BoxError> load(const std::filesystem::path& key_file, KeyMode mode);
  // Tests: a box with this key, no file.
  static SecretBox from_key(const std::array<unsigned char, key_bytes>& key) { return SecretBox(key); }

  std::string seal(std::string_view plain) const;
  Result<std::string, BoxError> open(std::string_view sealed) const;

private:
  explicit SecretBox(const std::array<unsigned char, key_bytes>& key) : key_(key) {}
  std::array<unsigned char, key_bytes> key_;
};

// The key file of a state dir.
std::filesystem::path key_file_path(const std::filesystem::path& state_dir);

// Standard base64 with padding: values travel in the admin API's JSON, and may be binary.
std::string to_base64(std::string_view bytes);
// Empty result and false on anything that is not base64.
bool from_base64(std::string_view text, std::string& out);

}  // namespace svl::secrets
