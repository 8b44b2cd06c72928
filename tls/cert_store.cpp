#include "tls/cert_store.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <system_error>

#include "tls/cert_names.hpp"

namespace svl::tls {

namespace fs = std::filesystem;

namespace {

std::string openssl_error(std::string_view what) {
  std::string out(what);
  if (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

std::shared_ptr<ssl_ctx_st> owned(SSL_CTX* ctx) { return {ctx, SSL_CTX_free}; }

// A file's identity for change checks.
struct Stamp {
  fs::file_time_type mtime{};
  std::uintmax_t size = 0;
  bool operator==(const Stamp&) const = default;
};
using Stamps = std::map<std::string, Stamp>;

Stamps stamp_dir(const fs::path& dir) {
  Stamps out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext != ".crt" && ext != ".key") continue;
    std::error_code e1, e2;
    out[it->path().filename().string()] = Stamp{fs::last_write_time(it->path(), e1), fs::file_size(it->path(), e2)};
  }
  return out;
}

int alpn_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void*) {
  static const unsigned char ours[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, ours, sizeof ours, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;  // a client without http/1.1 in its list still gets HTTP/1.1
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

struct CertStore::Snapshot {
  struct Entry {
    CertInfo info;
    std::shared_ptr<ssl_ctx_st> ctx;  // null when it never loaded
  };
  std::vector<Entry> entries;
  Stamps stamps;

  std::shared_ptr<ssl_ctx_st> pick(std::string_view name, bool use_default = true) const {
    std::vector<Candidate> candidates;
    std::optional<std::size_t> fallback;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (!entries[i].ctx) continue;
      if (entries[i].info.stem == default_stem) fallback = candidates.size();
      candidates.push_back({entries[i].info.names});
      index.push_back(i);
    }
    const auto chosen = tls::pick(candidates, use_default ? fallback : std::nullopt, name);
    return chosen ? entries[index[*chosen]].ctx : nullptr;
  }
};

void configure_server_context(ssl_ctx_st* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // An idle keep-alive connection gives its read and write buffers back (about 34 KiB).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, alpn_http11, nullptr);
}

CertInfo inspect_certificate(const fs::path& crt) {
  CertInfo info;
  info.stem = crt.stem().string();
  FILE* f = std::fopen(crt.c_str(), "r");
  if (!f) {
    info.error = "cannot open " + crt.string() + ": " + std::generic_category().message(errno);
    return info;
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert) {
    info.error = openssl_error(crt.string() + ": not a PEM certificate");
    return info;
  }
  if (auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (n->type != GEN_DNS) continue;
      const auto* s = n->d.dNSName;
      info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
    }
    GENERAL_NAMES_free(sans);
  }
  if (info.names.empty()) {  // no SANs: the subject's common name, as old certificates carry it
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) info.names.push_back(cn);
  }
  tm expiry{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &expiry) == 1)
    info.not_after = std::chrono::system_clock::from_time_t(timegm(&expiry));
  X509_free(cert);
  return info;
}

std::vector<CertInfo> list_certificates(const fs::path& dir) {
  std::vector<CertInfo> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".crt") continue;
    auto info = inspect_certificate(it->path());
    auto key = it->path();
    key.replace_extension(".key");
    if (info.error.empty() && !fs::exists(key)) info.error = "no " + key.filename().string() + " beside it";
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const CertInfo& a, const CertInfo& b) { return a.stem < b.stem; });
  return out;
}

CertStore::CertStore(fs::path dir, std::chrono::seconds ticket_key_lifetime, TicketKeys::Clock now)
    : dir_(std::move(dir)), tickets_(ticket_key_lifetime, std::move(now)), base_(owned(SSL_CTX_new(TLS_server_method()))) {
  configure_server_context(base_.get());
  tickets_.attach(base_.get());
  SSL_CTX_set_tlsext_servername_arg(base_.get(), this);
  SSL_CTX_set_tlsext_servername_callback(
      base_.get(), +[](SSL* ssl, int* alert, void* arg) -> int {
        const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        auto ctx = static_cast<CertStore*>(arg)->context_for(name ? name : "");
        if (!ctx) {
          *alert = SSL_AD_UNRECOGNIZED_NAME;
          return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        SSL_set_SSL_CTX(ssl, ctx.get());  // takes its own reference: a reload may drop ours
        return SSL_TLSEXT_ERR_OK;
      });
  current_.store(std::make_shared<const Snapshot>());
}

CertStore::~CertStore() = default;

std::vector<CertInfo> CertStore::reload() {
  static std::mutex reloading;  // one reload at a time; handshakes never wait on it
  std::lock_guard lock(reloading);
  const auto previous = current_.load();
  auto next = std::make_shared<Snapshot>();
  next->stamps = stamp_dir(dir_);
  for (auto& info : list_certificates(dir_)) {
    Snapshot::Entry entry{std::move(info), nullptr};
    if (entry.info.error.empty()) {
      const auto crt = (dir_ / (entry.info.stem + ".crt")).string();
      const auto key = (dir_ / (entry.info.stem + ".key")).string();
      auto ctx = owned(SSL_CTX_new(TLS_server_method()));
      configure_server_context(ctx.get());
      tickets_.attach(ctx.get());
      if (SSL_CTX_use_certificate_chain_file(ctx.get(), crt.c_str()) != 1)
        entry.info.error = openssl_error(crt);
      else if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1)
        entry.info.error = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH
                               ? openssl_error(key + " does not match " + crt)
                               : openssl_error(key);
      else if (SSL_CTX_check_private_key(ctx.get()) != 1)
        entry.info.error = openssl_error(key + " does not match " + crt);
      else
        entry.ctx = std::move(ctx);
    }
    if (!entry.ctx)  // keep serving what this name served before
      for (const auto& old : previous->entries)
        if (old.info.stem == entry.info.stem && old.ctx) {
          entry.ctx = old.ctx;
          entry.info.names = old.info.names;
          entry.info.not_after = old.info.not_after;
        }
    entry.info.serving = entry.ctx != nullptr;
    next->entries.push_back(std::move(entry));
  }
  current_.store(next);
  return certificates();
}

bool CertStore::changed() const { return stamp_dir(dir_) != current_.load()->stamps; }

std::vector<CertInfo> CertStore::certificates() const {
  std::vector<CertInfo> out;
  for (const auto& e : current_.load()->entries) out.push_back(e.info);
  return out;
}

std::shared_ptr<ssl_ctx_st> CertStore::context_for(std::string_view server_name) const {
  return current_.load()->pick(server_name);
}

bool CertStore::covers(std::string_view server_name) const { return current_.load()->pick(server_name, false) != nullptr; }

}  // namespace svl::tls
