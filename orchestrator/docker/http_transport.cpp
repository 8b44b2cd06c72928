#include "orchestrator/docker/http_transport.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include <curl/curl.h>

namespace svl::docker {
namespace {

constexpr int poll_interval_ms = 50;  // bounds how late a stop_token is noticed

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// State of one transfer, reached from curl's callbacks.
struct Transfer {
  CURL* easy = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse response;
  bool stopped = false;  // the stop_token fired
  bool ended_by_consumer = false;

  bool streaming_2xx() {
    if (!request->on_data) return false;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    return code >= 200 && code < 300;
  }
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (after a 100 Continue, say)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    t->response.headers[name] = trim(line.substr(colon + 1));
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (t->request->stop.stop_requested()) {
    t->stopped = true;
    return CURL_WRITEFUNC_ERROR;
  }
  if (t->streaming_2xx()) {
    if (!t->request->on_data(std::string_view(data, bytes))) {
      t->ended_by_consumer = true;
      return CURL_WRITEFUNC_ERROR;
    }
    return bytes;
  }
  t->response.body.append(data, bytes);
  return bytes;
}

Error map_curl_error(CURLcode code, const char* detail) {
  std::string message = curl_easy_strerror(code);
  if (detail && *detail) message += std::string(": ") + detail;
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Error{Errc::unreachable, 0, "docker daemon unreachable: " + message};
    case CURLE_OPERATION_TIMEDOUT:
      return Error{Errc::timeout, 0, message};
    case CURLE_PARTIAL_FILE:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WEIRD_SERVER_REPLY:
      return Error{Errc::malformed_reply, 0, "reply cut short or malformed: " + message};
    default:
      return Error{Errc::transport, 0, message};
  }
}

}  // namespace

struct HttpTransport::Impl {
  Endpoint endpoint;
  std::chrono::milliseconds connect_timeout;
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
};

HttpTransport::HttpTransport(Endpoint endpoint, std::chrono::milliseconds connect_timeout)
    : impl_(std::make_unique<Impl>()) {
  static GlobalInit init;
  impl_->endpoint = std::move(endpoint);
  impl_->connect_timeout = connect_timeout;
  impl_->multi = curl_multi_init();
  impl_->easy = curl_easy_init();
}

HttpTransport::~HttpTransport() {
  if (impl_->easy) curl_easy_cleanup(impl_->easy);
  if (impl_->multi) curl_multi_cleanup(impl_->multi);
}

Result<HttpResponse> HttpTransport::perform(const HttpRequest& request) {
  if (!impl_->easy || !impl_->multi) return Error{Errc::transport, 0, "curl initialisation failed"};
  CURL* easy = impl_->easy;
  curl_easy_reset(easy);  // options only: the connection stays in the multi handle's cache

  Transfer transfer;
  transfer.easy = easy;
  transfer.request = &request;
  char error_buffer[CURL_ERROR_SIZE] = {};

  const std::string url = impl_->endpoint.base_url + request.target;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  if (!impl_->endpoint.unix_socket.empty())
    curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, impl_->endpoint.unix_socket.c_str());
  else
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(impl_->connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);

  curl_slist* headers = nullptr;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> body_file(nullptr, &std::fclose);
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for big bodies
  if (request.method == "POST" || request.method == "PUT") {
    if (request.method == "POST") curl_easy_setopt(easy, CURLOPT_POST, 1L);
    else curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "PUT");
    if (!request.body_file.empty()) {
      body_file.reset(std::fopen(request.body_file.c_str(), "rb"));
      std::error_code ec;
      const auto size = std::filesystem::file_size(request.body_file, ec);
      if (!body_file || ec) {
        curl_slist_free_all(headers);
        return Error{Errc::invalid_argument, 0, "cannot read " + request.body_file};
      }
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, +[](char* out, size_t size, size_t n, void* file) {
        return std::fread(out, size, n, static_cast<std::FILE*>(file));
      });
      curl_easy_setopt(easy, CURLOPT_READDATA, body_file.get());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(size));
    } else {
      const std::string* body = request.body;
      static const std::string empty;
      if (!body) body = &empty;
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    }
    if (request.body || !request.body_file.empty())
      headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
  } else if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);

  curl_multi_add_handle(impl_->multi, easy);
  CURLcode result = CURLE_OK;
  bool done = false;
  while (!done) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(impl_->multi, &running);
    if (mc != CURLM_OK) {
      result = CURLE_RECV_ERROR;
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(impl_->multi, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    if (request.stop.stop_requested()) {
      transfer.stopped = true;
      break;
    }
    curl_multi_poll(impl_->multi, nullptr, 0, poll_interval_ms, nullptr);
  }
  curl_multi_remove_handle(impl_->multi, easy);
  curl_slist_free_all(headers);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);

  if (transfer.stopped) return Error{Errc::cancelled, 0, "cancelled by caller"};
  if (transfer.ended_by_consumer) result = CURLE_OK;
  if (result != CURLE_OK) return map_curl_error(result, error_buffer);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  transfer.response.ended_by_consumer = transfer.ended_by_consumer;
  return std::move(transfer.response);
}

}  // namespace svl::docker
