#include "orchestrator/cli/admin_client.hpp"

#include <memory>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>

#include "tls/self_signed.hpp"

namespace svl::cli {

std::string default_state_dir() {
  if (::geteuid() == 0) return "/var/lib/svl";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return std::string(xdg) + "/svl";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/state/svl";
  return "/tmp/svl-" + std::to_string(::geteuid());
}

std::string resolve_admin_socket(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("SVL_ADMIN"); env && *env) return env;
  return default_state_dir() + "/svl.sock";
}

namespace {

size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t forward_chunk(char* data, size_t size, size_t n, void* user) {
  (*static_cast<const std::function<void(std::string_view)>*>(user))(std::string_view(data, size * n));
  return size * n;
}

int pin_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The leaf certificate must be the pinned one; the chain is not checked against any CA (the pin
// is the trust, as with ssh). Records what it saw, for the error message.
int verify_pin(int, X509_STORE_CTX* store) {
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* pin = static_cast<AdminClient::Pin*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pin_index()));
  if (!pin) return 0;
  pin->seen = tls::fingerprint(X509_STORE_CTX_get_current_cert(store));
  if (pin->expected.empty() || pin->seen == pin->expected) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  return 0;
}

CURLcode install_pin(CURL*, void* ssl_ctx, void* pin) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_ex_data(ctx, pin_index(), pin);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_pin);
  return CURLE_OK;
}

}  // namespace

AdminClient::AdminClient(AdminTarget target) : target_(std::move(target)), curl_(curl_easy_init()) {
  if (!curl_) throw std::runtime_error("libcurl could not start");
  pin_.expected = target_.remote.fingerprint;
}

AdminClient::~AdminClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

curl_slist* AdminClient::prepare(std::string_view path, bool with_token) {
  auto* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, target_.is_remote() ? 10000L : 2000L);
  if (!target_.is_remote()) {
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, target_.socket_path.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, ("http://svl" + std::string(path)).c_str());
    return nullptr;
  }
  curl_easy_setopt(curl, CURLOPT_URL, (target_.remote.url + std::string(path)).c_str());
  // No CA check and no name check: the pinned fingerprint is the trust (verify_pin).
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, install_pin);
  curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &pin_);
  curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);  // a resumed session shows no certificate to check
  pin_.seen.clear();
  if (!with_token || target_.remote.token.empty()) return nullptr;
  return curl_slist_append(nullptr, ("Authorization: Bearer " + target_.remote.token).c_str());
}

void AdminClient::fail(std::string_view what, int code) {
  const auto rc = static_cast<CURLcode>(code);
  if (target_.is_remote() && !pin_.expected.empty() && !pin_.seen.empty() && pin_.seen != pin_.expected)
    throw CertificateChanged(
        "the svl daemon at " + target_.remote.url + " presented certificate " + pin_.seen + ", not the pinned " +
        pin_.expected + ". Someone may be intercepting; if the daemon's certificate changed on purpose, check the new "
        "fingerprint on the box (svl daemon logs it; or openssl x509 -noout -fingerprint -sha256 -in "
        "<state-dir>/admin-tls/default.crt) and re-trust it: svl context add " + target_.context + " " +
        target_.remote.url + " --fingerprint " + pin_.seen + " --token-file FILE");
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_OPERATION_TIMEDOUT) {
    if (target_.is_remote())
      throw DaemonUnreachable("cannot reach the svl daemon at " + target_.where() + " (" + curl_easy_strerror(rc) +
                              "). Is it running with --admin-listen, and is the port open to you?");
    throw DaemonUnreachable("cannot reach the svl daemon at " + target_.socket_path + " (" + curl_easy_strerror(rc) +
                            "). Start it with `svl daemon` (or `make run`), or point --admin / SVL_ADMIN at its socket.");
  }
  throw std::runtime_error(std::string(what) + " to " + target_.where() + " failed: " + curl_easy_strerror(rc));
}

AdminReply AdminClient::request(std::string_view method, std::string_view path, std::string_view json_body,
                                std::chrono::milliseconds timeout) {
  auto* curl = static_cast<CURL*>(curl_);
  AdminReply reply;
  const std::string method_s(method);
  const std::string body(json_body);
  curl_slist* headers = curl_slist_append(prepare(path, true), "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_s.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) fail("admin request " + method_s + " " + std::string(path), rc);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

long AdminClient::stream(std::string_view path, const std::function<void(std::string_view)>& on_chunk,
                         const std::atomic<bool>* stop) {
  return transfer(path, on_chunk, stop, nullptr, {});
}

long AdminClient::upload(std::string_view path, const std::filesystem::path& file, std::string_view content_type,
                         const std::function<void(std::string_view)>& on_chunk) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return transfer(path, on_chunk, nullptr, in.get(), content_type);
}

long AdminClient::transfer(std::string_view path, const std::function<void(std::string_view)>& on_chunk,
                           const std::atomic<bool>* stop, std::FILE* body, std::string_view content_type) {
  auto* curl = static_cast<CURL*>(curl_);
  curl_slist* headers = prepare(path, true);
  if (body) {
    headers = curl_slist_append(headers, ("Content-Type: " + std::string(content_type)).c_str());
    headers = curl_slist_append(headers, "Expect: 100-continue");  // also below curl's 1 MiB threshold
    std::fseek(body, 0, SEEK_END);
    const long size = std::ftell(body);
    std::rewind(body);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, +[](char* out, size_t size, size_t n, void* file) {
      return std::fread(out, size, n, static_cast<std::FILE*>(file));
    });
    curl_easy_setopt(curl, CURLOPT_READDATA, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(size));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, forward_chunk);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &on_chunk);
  if (stop) {
    // libcurl calls this about once a second while idle, and on every chunk: non-zero aborts.
    curl_xferinfo_callback check = [](void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
      return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
    };
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, check);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(stop));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return 0;
  if (rc != CURLE_OK) fail(std::string(body ? "admin upload " : "admin stream ") + std::string(path), rc);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

std::string AdminClient::probe_fingerprint() {
  if (!target_.is_remote()) throw std::logic_error("probe_fingerprint of the local socket");
  const std::string pinned = std::exchange(pin_.expected, std::string());
  auto* curl = static_cast<CURL*>(curl_);
  prepare("/v1/health", false);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  const CURLcode rc = curl_easy_perform(curl);
  pin_.expected = pinned;
  if (pin_.seen.empty()) fail("connecting", rc == CURLE_OK ? CURLE_SSL_CONNECT_ERROR : rc);
  return pin_.seen;
}

std::string error_message(const AdminReply& reply) {
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string()) return json["error"].get<std::string>();
  return "daemon answered HTTP " + std::to_string(reply.status) + ": " + reply.body;
}

}  // namespace svl::cli
