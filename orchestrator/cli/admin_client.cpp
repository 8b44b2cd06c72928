#include "orchestrator/cli/admin_client.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

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

[[noreturn]] void throw_unreachable(const std::string& path, CURLcode code) {
  throw DaemonUnreachable("cannot reach the svl daemon at " + path + " (" + curl_easy_strerror(code) +
                          "). Start it with `svl daemon` (or `make run`), or point --admin / SVL_ADMIN at its socket.");
}

}  // namespace

AdminClient::AdminClient(std::string socket_path) : socket_path_(std::move(socket_path)), curl_(curl_easy_init()) {
  if (!curl_) throw std::runtime_error("libcurl could not start");
}

AdminClient::~AdminClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

AdminReply AdminClient::request(std::string_view method, std::string_view path, std::string_view json_body,
                                std::chrono::milliseconds timeout) {
  auto* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  AdminReply reply;
  const std::string url = "http://svl" + std::string(path);
  const std::string method_s(method);
  const std::string body(json_body);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_s.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc == CURLE_COULDNT_CONNECT) throw_unreachable(socket_path_, rc);
  if (rc != CURLE_OK) throw std::runtime_error("admin request " + method_s + " " + std::string(path) + " failed: " + curl_easy_strerror(rc));
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

long AdminClient::stream(std::string_view path, const std::function<void(std::string_view)>& on_chunk,
                         const std::atomic<bool>* stop) {
  auto* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  const std::string url = "http://svl" + std::string(path);
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
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
  if (rc == CURLE_ABORTED_BY_CALLBACK) return 0;
  if (rc == CURLE_COULDNT_CONNECT) throw_unreachable(socket_path_, rc);
  if (rc != CURLE_OK) throw std::runtime_error("admin stream " + std::string(path) + " failed: " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

std::string error_message(const AdminReply& reply) {
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string()) return json["error"].get<std::string>();
  return "daemon answered HTTP " + std::to_string(reply.status) + ": " + reply.body;
}

}  // namespace svl::cli
