#pragma once
// One libcurl easy handle inside its own multi handle: the connection is kept alive between
// requests, and the transfer loop wakes every 50 ms so a stop_token cuts even an idle stream.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "orchestrator/docker/endpoint.hpp"
#include "orchestrator/docker/result.hpp"

namespace svl::docker {

struct HttpRequest {
  std::string method = "GET";
  std::string target;             // "/v1.41/containers/json?all=1"
  const std::string* body = nullptr;  // not copied: must outlive perform()
  std::string body_file;  // instead of body: a file sent as it is read (an uploaded build context)
  std::string content_type = "application/json";
  std::chrono::milliseconds timeout{0};  // total; 0 = none (streams: cancel with `stop`)
  // When set, the body of a 2xx reply is handed over piece by piece instead of collected;
  // returning false ends the transfer (not an error).
  std::function<bool(std::string_view)> on_data;
  std::stop_token stop;
};

struct HttpResponse {
  long status = 0;
  std::string body;                            // collected unless streamed (always for non-2xx)
  std::map<std::string, std::string> headers;  // names lower-cased
  bool ended_by_consumer = false;              // on_data returned false

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

class HttpTransport {
public:
  HttpTransport(Endpoint endpoint, std::chrono::milliseconds connect_timeout);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Errors: unreachable, timeout, cancelled, malformed_reply (cut short), transport.
  // HTTP error statuses are not errors here: they come back in HttpResponse::status.
  Result<HttpResponse> perform(const HttpRequest& request);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace svl::docker
