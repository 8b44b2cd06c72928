#include "tests/tls/test_certs.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace svl::tls::test {

void write_self_signed(const std::filesystem::path& dir, const std::string& stem, const std::vector<std::string>& names,
                       int days) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(names.front().c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  std::string sans;
  for (const auto& n : names) sans += (sans.empty() ? "DNS:" : ",DNS:") + n;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, sans.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(cert, key, EVP_sha256());
  FILE* c = std::fopen((dir / (stem + ".crt")).c_str(), "w");
  FILE* k = std::fopen((dir / (stem + ".key")).c_str(), "w");
  if (!c || !k) throw std::runtime_error("cannot write test certificate " + stem);
  PEM_write_X509(c, cert);
  PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(c);
  std::fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
}

Handshake handshake(void* server_ctx, const std::string& sni, bool offer_http11, const std::shared_ptr<void>& resume) {
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  SSL* client = SSL_new(client_ctx);
  SSL* server = SSL_new(static_cast<SSL_CTX*>(server_ctx));
  BIO *client_bio = nullptr, *server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);
  if (resume) SSL_set_session(client, static_cast<SSL_SESSION*>(resume.get()));
  SSL_set_accept_state(server);
  if (!sni.empty()) SSL_set_tlsext_host_name(client, sni.c_str());
  static const unsigned char protos[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  if (offer_http11) SSL_set_alpn_protos(client, protos, sizeof protos);
  else SSL_set_alpn_protos(client, protos, 3);  // h2 only

  Handshake out;
  // One side's step, and whether it failed for good (its error, from its own queue, kept).
  auto step = [&](SSL* ssl, int& result) {
    result = SSL_do_handshake(ssl);
    const int e = SSL_get_error(ssl, result);
    const bool failed = result != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
    if (failed && (out.alert.empty() || ssl == client)) {
      char buf[256] = {};
      ERR_error_string_n(ERR_peek_last_error(), buf, sizeof buf);
      out.alert = buf;
    }
    ERR_clear_error();
    return failed;
  };
  for (int round = 0, c = 0, s = 0; round < 20; ++round) {
    const bool server_failed = step(server, s);
    const bool client_failed = step(client, c);
    if (c == 1 && s == 1) {
      out.ok = true;
      break;
    }
    if (client_failed) break;
    if (server_failed) {  // the client reads the server's alert, which is what it would see
      step(client, c);
      break;
    }
  }
  if (out.ok) {
    if (X509* peer = SSL_get1_peer_certificate(client)) {
      if (auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(peer, NID_subject_alt_name, nullptr, nullptr))) {
        for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
          const auto* n = sk_GENERAL_NAME_value(sans, i)->d.dNSName;
          out.peer_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n)), ASN1_STRING_length(n));
        }
        GENERAL_NAMES_free(sans);
      }
      X509_free(peer);
    }
    const unsigned char* alpn = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(client, &alpn, &len);
    out.alpn.assign(reinterpret_cast<const char*>(alpn), len);
    out.resumed = SSL_session_reused(client) == 1;
    char byte;
    SSL_read(client, &byte, 1);  // takes in the TLS 1.3 tickets the server sent after its Finished
    ERR_clear_error();
    if (SSL_SESSION* session = SSL_get1_session(client)) out.session.reset(session, [](void* p) { SSL_SESSION_free(static_cast<SSL_SESSION*>(p)); });
  }
  // Closed properly: a session freed without close_notify is marked not resumable.
  if (out.ok) SSL_shutdown(client);
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(client_ctx);
  return out;
}

}  // namespace svl::tls::test
