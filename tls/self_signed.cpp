#include "tls/self_signed.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <memory>
#include <stdexcept>

#include "common/hex.hpp"

namespace svl::tls {

namespace fs = std::filesystem;

namespace {

template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, decltype([](T* p) { Free(p); })>;

bool is_ip(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// Writes through a temporary file renamed into place, so a crash leaves no half-written PEM.
template <class Write>
void write_pem(const fs::path& path, mode_t mode, Write&& write) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::generic_category().message(errno));
  FILE* f = ::fdopen(fd, "w");
  const bool ok = f && write(f) == 1;
  if (f) std::fclose(f);
  else ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path.string());
  }
}

}  // namespace

void write_self_signed(const fs::path& crt, const fs::path& key, const std::vector<std::string>& names) {
  Owned<EVP_PKEY, EVP_PKEY_free> pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Owned<X509, X509_free> cert(X509_new());
  if (!pkey || !cert) throw std::runtime_error("cannot make a key for " + crt.string());
  X509_set_version(cert.get(), 2);
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1)
    throw std::runtime_error("the system's random source failed");
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial >> 1);  // positive, as RFC 5280 asks
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), pkey.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string cn = names.empty() ? "svl" : names.front();
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  std::string sans;
  for (const auto& n : names) sans += (sans.empty() ? "" : ",") + std::string(is_ip(n) ? "IP:" : "DNS:") + n;
  if (!sans.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    Owned<X509_EXTENSION, X509_EXTENSION_free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, sans.c_str()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1)
      throw std::runtime_error("cannot name " + sans + " in " + crt.string());
  }
  if (X509_sign(cert.get(), pkey.get(), EVP_sha256()) == 0) throw std::runtime_error("cannot sign " + crt.string());
  write_pem(key, 0600, [&](FILE* f) { return PEM_write_PrivateKey(f, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  write_pem(crt, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
}

std::string fingerprint(const x509_st* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) throw std::runtime_error("cannot hash a certificate");
  return "SHA256:" + to_hex(md, n);
}

std::string fingerprint_of_file(const fs::path& crt) {
  FILE* f = std::fopen(crt.c_str(), "r");
  if (!f) throw std::runtime_error("cannot open " + crt.string() + ": " + std::generic_category().message(errno));
  Owned<X509, X509_free> cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!cert) throw std::runtime_error(crt.string() + ": not a PEM certificate");
  return fingerprint(cert.get());
}

std::optional<std::string> normalize_fingerprint(std::string_view text) {
  if (text.size() >= 7 && (text.substr(0, 7) == "SHA256:" || text.substr(0, 7) == "sha256:")) text.remove_prefix(7);
  std::string hex;
  for (char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) return std::nullopt;
  return "SHA256:" + hex;
}

}  // namespace svl::tls
