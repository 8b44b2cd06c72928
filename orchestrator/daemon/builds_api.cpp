// POST /v1/builds: a remote svl up's build, from the context it uploaded (spooled to a file by
// AdminServer's UploadRoute). The answer streams newline-delimited JSON: {"line": "..."} per
// progress line, then {"image": "sha256:..."} or {"error": "...", "code": "..."}. A client that
// goes away cancels the build: the stream's end stops the Docker call, and Docker stops building.
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "orchestrator/daemon/admin_api.hpp"
#include "orchestrator/daemon/admin_reply.hpp"
#include "orchestrator/daemon/threaded_stream.hpp"
#include "orchestrator/docker/async_asio.hpp"
#include "orchestrator/docker/build_context.hpp"
#include "orchestrator/spec/function_spec.hpp"

namespace svl::orchestrator {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

std::string json_line(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

asio::awaitable<AdminResponse> handle_build(const AdminRequest& req, AdminContext& ctx) {
  if (req.method != "POST") co_return json_error(405, "method: " + req.method + " is not allowed on /v1/builds (use POST)");
  if (req.body_file.empty()) co_return json_error(400, "body: the build context, a tar, is the request's body");
  auto param = [&](const char* key) { auto it = req.query.find(key); return it == req.query.end() ? std::string() : it->second; };
  docker::BuildOptions build;
  const std::string function = param("function");
  if (!is_valid_function_name(function))
    co_return json_error(400, "function: \"" + function + "\" is not a function name (lowercase letters, digits and '-')");
  if (auto dockerfile = param("dockerfile"); !dockerfile.empty()) build.dockerfile = dockerfile;
  if (auto args = param("args"); !args.empty()) {
    auto parsed = json::parse(args, nullptr, false);
    if (!parsed.is_object()) co_return json_error(400, "args: not a JSON object of build arguments");
    for (const auto& [key, value] : parsed.items()) {
      if (!value.is_string()) co_return json_error(400, "args: " + key + " is not a string");
      build.build_args[key] = value.get<std::string>();
    }
  }
  build.context_tar = req.body_file;
  build.tags = {"svl/" + function + ":latest"};
  build.labels = {{"svl.managed", "true"}, {"svl.function", function}};

  // Reading the whole tar is disk work: on the Docker pool, not the control thread.
  auto check = [file = req.body_file, dockerfile = build.dockerfile](docker::Client&) {
    return docker::check_build_context(file, dockerfile);
  };
  auto checked = co_await docker::async_call(ctx.docker_pool, check, asio::use_awaitable);
  if (!checked) co_return json_error(400, "context: " + checked.error().message);

  auto executor = co_await asio::this_coro::executor;
  StreamJob job = [build, options = ctx.docker](ChunkQueue& queue, std::stop_token stop) {
    docker::Client client(options);
    auto built = client.build_image(build, [&](std::string_view line) { queue.push(json_line({{"line", line}})); }, stop);
    if (built) queue.push(json_line({{"image", built->image_id}}));
    else queue.push(json_line({{"error", built.error().message}, {"code", docker::to_string(built.error().code)}}));
  };
  co_return threaded_stream({std::move(job)}, executor, "application/x-ndjson", "\n");  // an empty line: no message
}

}  // namespace svl::orchestrator
