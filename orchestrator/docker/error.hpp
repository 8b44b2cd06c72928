#pragma once
// Errors of the Docker client: a code the caller can branch on, the HTTP status
// when there was one, and Docker's own message (never paraphrased).
#include <string>
#include <system_error>

namespace svl::docker {

enum class Errc {
  not_found = 1,     // 404: no such container / image
  conflict,          // 409: name in use, container paused, removal in progress ...
  unreachable,       // no daemon at the socket / host (connect failed, socket missing)
  timeout,           // connect or total timeout of the call expired
  malformed_reply,   // reply is not the JSON (or stream) the API documents, or was cut short
  bad_request,       // 400 and other 4xx (invalid parameter, bad reference ...)
  server_error,      // 5xx
  build_failed,      // an image build reported an error in its progress stream
  cancelled,         // the caller's stop_token fired (logs, build, events)
  invalid_argument,  // bad DOCKER_HOST, unreadable build context ...
  unsupported,       // the daemon speaks an API older than this client needs
  transport,         // any other libcurl failure (reset, send/recv error)
};

const std::error_category& docker_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;
const char* to_string(Errc e) noexcept;

struct Error {
  Errc code = Errc::transport;
  int http_status = 0;   // 0 when no HTTP response was received
  std::string message;   // Docker's "message" when it sent one, else a description

  std::error_code error_code() const noexcept { return make_error_code(code); }
  // "not_found (404): No such container: abc"
  std::string describe() const;
};

}  // namespace svl::docker

template <>
struct std::is_error_code_enum<svl::docker::Errc> : std::true_type {};
