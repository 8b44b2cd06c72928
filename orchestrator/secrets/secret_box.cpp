#include "orchestrator/secrets/secret_box.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svl::secrets {
namespace {

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

BoxError io_error(const std::filesystem::path& path, std::string_view what) {
  return BoxError{"secret key file " + path.string() + ": " + std::string(what) + ": " + std::strerror(errno)};
}

// Writes a fresh key with O_EXCL (two daemons racing never both win), fsynced before use.
Result<std::array<unsigned char, SecretBox::key_bytes>, BoxError> create_key(const std::filesystem::path& path) {
  std::array<unsigned char, SecretBox::key_bytes> key{};
  crypto_secretbox_keygen(key.data());
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(path, "cannot create");
  const bool written = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    auto e = io_error(path, "cannot write");
    ::unlink(path.c_str());
    return e;
  }
  return key;
}

}  // namespace

std::filesystem::path key_file_path(const std::filesystem::path& state_dir) { return state_dir / "secret.key"; }

Result<SecretBox, BoxError> SecretBox::load(const std::filesystem::path& path, KeyMode mode) {
  if (!sodium_ready()) return BoxError{"libsodium could not be initialised"};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && mode == KeyMode::create_if_missing) {
      auto key = create_key(path);
      if (key) return SecretBox(*key);
      if (errno != EEXIST) return key.error();
      return load(path, KeyMode::existing);  // another caller made it first
    }
    if (errno == ENOENT)
      return BoxError{"secret key file " + path.string() +
                      " is missing, but the registry holds secrets sealed with it: restore it from your backup "
                      "(without it they cannot be read)"};
    return io_error(path, "cannot read");
  }
  std::array<unsigned char, key_bytes> key{};
  unsigned char extra = 0;
  const ssize_t got = ::read(fd, key.data(), key.size());
  const ssize_t more = got == static_cast<ssize_t>(key.size()) ? ::read(fd, &extra, 1) : 0;
  const int read_errno = errno;
  ::close(fd);
  if (got < 0) return errno = read_errno, io_error(path, "cannot read");
  if (got != static_cast<ssize_t>(key.size()) || more != 0)
    return BoxError{"secret key file " + path.string() + " has the wrong size: it must hold exactly " +
                    std::to_string(key_bytes) + " bytes"};
  return SecretBox(key);
}

std::string SecretBox::seal(std::string_view plain) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plain.data()),
                        plain.size(), nonce, key_.data());
  return out;
}

Result<std::string, BoxError> SecretBox::open(std::string_view sealed) const {
  constexpr std::size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < overhead) return BoxError{"sealed value is too short (truncated)"};
  std::string out(sealed.size() - overhead, '\0');
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), nonce + crypto_secretbox_NONCEBYTES,
                                 sealed.size() - crypto_secretbox_NONCEBYTES, nonce, key_.data()) != 0)
    return BoxError{"sealed value does not open with this key (tampered with, or sealed with another key file)"};
  return out;
}

std::string to_base64(std::string_view bytes) {
  (void)sodium_ready();
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool from_base64(std::string_view text, std::string& out) {
  (void)sodium_ready();
  out.assign(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    out.clear();
    return false;
  }
  out.resize(len);
  return true;
}

}  // namespace svl::secrets
