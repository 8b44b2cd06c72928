// The remote admin API end to end: the real daemon with --admin-listen on port 0 (its own
// self-signed certificate), tokens made on the local socket, CLI contexts that pin the
// certificate on first contact, every management command through a context (logs -f included),
// and the bad input of the issue: no token, a wrong, revoked or too small one, plain HTTP on the
// TLS port, 50 wrong tokens in a row, a changed certificate, svl dev given a remote context.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "tests/daemon/daemon_it_support.hpp"
#include "tests/support/test_tar.hpp"

using namespace std::chrono_literals;
using namespace svl::test::it;
using svl::test::CommandResult;
using svl::test::DaemonProcess;
using svl::test::TempDir;

namespace {

struct RemoteAdmin {
  std::string url, fingerprint;
};

RemoteAdmin remote_of(const DaemonProcess& d) {
  std::smatch m;
  const std::string log = d.log();
  static const std::regex line(R"(admin_https (https://127\.0\.0\.1:\d+) (SHA256:[0-9a-f]{64}))");
  REQUIRE_MESSAGE(std::regex_search(log, m, line), log);
  return {m[1], m[2]};
}

// The CLI with its contexts in `config` ($XDG_CONFIG_HOME), and no --admin.
CommandResult svl_at(const std::filesystem::path& config, std::vector<std::string> args) {
  return svl::test::run_svl(args, 60s, {{"XDG_CONFIG_HOME", config.string()}, {"SVL_CONTEXT", ""}});
}

std::string token(const DaemonProcess& d, const std::string& name, const std::string& scope) {
  auto made = d.cli({"token", "create", name, "--scope", scope});
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  CHECK(made.err.find("shown this once") != std::string::npos);
  auto t = made.out.substr(0, made.out.find('\n'));
  REQUIRE(t.starts_with("svl_"));
  return t;
}

std::filesystem::path write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text << "\n";
  return path;
}

// status and Retry-After of a request with curl (-k: the test checks answers, not the pin).
std::string curl(const std::string& args) { return shell("curl -sk -o /dev/stdout -w ' %{http_code}' " + args); }

}  // namespace

TEST_CASE("remote commands over TLS with scoped tokens and a pinned certificate") {
  svl::test::ContainerJanitor janitor;
  TempDir tmp;
  const auto config = tmp.path() / "config";
  DaemonProcess d(tmp.path() / "state", daemon_args({"--admin-listen", "127.0.0.1:0"}));
  const auto admin = remote_of(d);
  const auto deploy_token = token(d, "ci", "deploy");
  const auto read_token = token(d, "dash", "read");
  auto api = svl::test::write_function(tmp.path(), "api", fn_toml("min = 0"));
  auto up = d.cli({"up", api.string(), "--quiet"});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);

  // First contact pins what it sees: the daemon's own fingerprint. The file is private.
  auto added = svl_at(config, {"context", "add", "box", admin.url, "--token-file",
                               write_file(tmp.path() / "ci.tok", deploy_token).string()});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  CHECK(added.err.find("pinned its certificate " + admin.fingerprint) != std::string::npos);
  struct stat st {};
  REQUIRE(::stat((config / "svl" / "contexts.toml").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto ro = svl_at(config, {"context", "add", "ro", admin.url, "--fingerprint", admin.fingerprint, "--token-file",
                            write_file(tmp.path() / "dash.tok", read_token).string()});
  REQUIRE_MESSAGE(ro.exit_code == 0, ro.err);
  auto wrong_pin = svl_at(config, {"context", "add", "evil", admin.url, "--fingerprint", "SHA256:" + std::string(64, '0')});
  CHECK(wrong_pin.exit_code != 0);
  CHECK(wrong_pin.err.find("nothing saved") != std::string::npos);

  // The current context (box, the first added) serves every command.
  auto ls = svl_at(config, {"ls"});
  REQUIRE_MESSAGE(ls.exit_code == 0, ls.err);
  CHECK(ls.out.find("api") != std::string::npos);
  auto status = svl_at(config, {"status", "api", "--json"});
  REQUIRE_MESSAGE(status.exit_code == 0, status.err);
  CHECK(nlohmann::json::parse(status.out)["name"] == "api");
  auto scaled = svl_at(config, {"scale", "api", "--min", "1"});
  CHECK_MESSAGE(scaled.exit_code == 0, scaled.err);
  REQUIRE(wait_for([&] { return status_of(d, "api")["state"] == "ready"; }, 60s, 100ms));
  CHECK(svl_at(config, {"usage", "--context", "ro"}).exit_code == 0);

  // logs -f through the context: a request's line arrives while it follows.
  ::setenv("XDG_CONFIG_HOME", config.c_str(), 1);  // SvlProcess inherits this process's environment
  svl::test::SvlProcess follow({"logs", "api", "-f", "--tail", "0", "--context", "box"}, tmp.path() / "follow.log");
  ::unsetenv("XDG_CONFIG_HOME");
  REQUIRE_MESSAGE(wait_for(
                      [&] {
                        (void)svl::test::get(d.gateway_port(), "/fn/api/?remote-follow-marker");
                        return follow.wait_output("remote-follow-marker", 500ms);
                      },
                      20s, 200ms),
                  follow.output());

  // Too small a scope: 403 with what it needs; nothing changes.
  auto down_by_deploy = svl_at(config, {"down", "api"});
  CHECK(down_by_deploy.exit_code != 0);
  CHECK(down_by_deploy.err.find("the token ci has scope deploy; DELETE /v1/functions/api needs admin") != std::string::npos);
  auto scale_by_read = svl_at(config, {"scale", "api", "--max", "3", "--context", "ro"});
  CHECK(scale_by_read.err.find("has scope read") != std::string::npos);
  auto token_by_deploy = svl_at(config, {"token", "create", "x", "--scope", "admin"});
  CHECK(token_by_deploy.err.find("needs admin") != std::string::npos);
  CHECK(status_of(d, "api")["name"] == "api");

  // Revoked: refused at once.
  REQUIRE(d.cli({"token", "rm", "dash"}).exit_code == 0);
  auto revoked = svl_at(config, {"ls", "--context", "ro"});
  CHECK(revoked.exit_code != 0);
  CHECK(revoked.err.find("the token is not valid") != std::string::npos);

  // svl dev stays local and says so.
  auto dev = svl_at(config, {"dev", api.string(), "--context", "box"});
  CHECK(dev.exit_code != 0);
  CHECK(dev.err.find("this machine only") != std::string::npos);
  follow.signal(SIGTERM);
}

TEST_CASE("the TLS port refuses plain HTTP, missing and wrong tokens, and a guesser, a changed certificate is refused") {
  TempDir tmp;
  const auto config = tmp.path() / "config";
  std::string first_fingerprint;
  {
    DaemonProcess d(tmp.path() / "state", daemon_args({"--admin-listen", "127.0.0.1:0"}));
    const auto admin = remote_of(d);
    first_fingerprint = admin.fingerprint;
    const auto hostport = admin.url.substr(8);
    const auto plain = shell("curl -s -w ' %{http_code}' http://" + hostport + "/v1/health");
    CHECK_MESSAGE(plain.find("plain HTTP sent to the admin API's HTTPS port") != std::string::npos, plain);
    CHECK(plain.ends_with(" 400"));
    const auto none = curl(admin.url + "/v1/functions");
    CHECK_MESSAGE(none.find("no token") != std::string::npos, none);
    CHECK(none.ends_with(" 401"));
    const auto t = token(d, "ci", "read");
    REQUIRE(svl_at(config, {"context", "add", "box", admin.url, "--token-file",
                            write_file(tmp.path() / "t", t).string()}).exit_code == 0);
    const auto wrong = curl("-H 'Authorization: Bearer svl_wrong' " + admin.url + "/v1/functions");
    CHECK(wrong.ends_with(" 401"));
    CHECK(wrong.find("not valid") != std::string::npos);
    // 50 wrong tokens in a row: the last ones get 429 with Retry-After, and the log has no token.
    std::string last;
    for (int i = 0; i < 50; ++i)
      last = shell("curl -sk -D - -o /dev/null -H 'Authorization: Bearer svl_guess" + std::to_string(i) + "' " +
                   admin.url + "/v1/functions");
    CHECK_MESSAGE(last.find(" 429") != std::string::npos, last);
    CHECK(last.find("Retry-After: ") != std::string::npos);
    CHECK(d.log().find("svl_guess") == std::string::npos);
    CHECK(d.log().find("too many") == std::string::npos);  // refusals are logged without detail floods
    // The daemon keeps serving: the local socket is unaffected.
    CHECK(d.cli({"ls"}).exit_code == 0);
  }
  // A new certificate (its files gone, the daemon made another one): the pinned context refuses it.
  std::filesystem::remove_all(tmp.path() / "state" / "admin-tls");
  DaemonProcess d(tmp.path() / "state", daemon_args({"--admin-listen", "127.0.0.1:0"}));
  const auto admin = remote_of(d);
  REQUIRE(admin.fingerprint != first_fingerprint);
  // The same context at the new port (port 0 moved it), still pinning the old certificate.
  std::ifstream in(config / "svl" / "contexts.toml");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  text = std::regex_replace(text, std::regex(R"(https://127\.0\.0\.1:\d+)"), admin.url);
  std::ofstream(config / "svl" / "contexts.toml") << text;
  auto refused = svl_at(config, {"ls"});
  CHECK(refused.exit_code != 0);
  CHECK_MESSAGE(refused.err.find("presented certificate " + admin.fingerprint + ", not the pinned " + first_fingerprint) !=
                    std::string::npos,
                refused.err);
  CHECK(refused.err.find("re-trust it: svl context add box") != std::string::npos);
}

namespace {

// A function whose image the daemon builds: FROM the fixture image, plus a file from the folder.
std::filesystem::path write_built_function(const std::filesystem::path& parent, const std::string& name,
                                           const std::string& dockerfile_tail = "") {
  auto dir = svl::test::write_function(parent, name, "port = 8080\n[build]\ncontext = \".\"\n[scale]\nmin = 0\n");
  std::ofstream(dir / "Dockerfile") << "FROM " << image() << "\nCOPY marker.txt /marker.txt\n" << dockerfile_tail;
  std::ofstream(dir / "marker.txt") << "built on the daemon\n";
  return dir;
}

// Removes what the test's builds tagged, even when it fails.
struct ImageJanitor {
  std::vector<std::string> tags;
  ~ImageJanitor() {
    for (const auto& t : tags) (void)shell("docker rmi -f " + t + " >/dev/null 2>&1");
  }
};

bool build_container_running(const std::string& marker) {
  return shell("docker ps --no-trunc --format '{{.Command}}'").find(marker) != std::string::npos;
}

}  // namespace

TEST_CASE("svl up through a remote context builds on the daemon, and refuses what it must before reading the upload") {
  svl::test::ContainerJanitor janitor;
  ImageJanitor images{{"svl/rbuild:latest", "svl/rhang:latest", "svl/rbig:latest"}};
  TempDir tmp;
  const auto config = tmp.path() / "config";
  const auto state = tmp.path() / "state";
  DaemonProcess d(state, daemon_args({"--admin-listen", "127.0.0.1:0", "--max-build-context", "2MiB"}));
  const auto admin = remote_of(d);
  const auto ci_token = token(d, "ci", "deploy");
  REQUIRE(svl_at(config, {"context", "add", "box", admin.url, "--token-file",
                          write_file(tmp.path() / "ci.tok", ci_token).string()}).exit_code == 0);
  REQUIRE(svl_at(config, {"context", "add", "ro", admin.url, "--fingerprint", admin.fingerprint, "--token-file",
                          write_file(tmp.path() / "ro.tok", token(d, "dash", "read")).string()}).exit_code == 0);
  auto uploads_left = [&] { return std::distance(std::filesystem::directory_iterator(state / "uploads"), {}); };

  // Secrets through an admin context; a deploy token may not set one, and no value is shown.
  REQUIRE(svl_at(config, {"context", "add", "root", admin.url, "--fingerprint", admin.fingerprint, "--token-file",
                          write_file(tmp.path() / "root.tok", token(d, "root", "admin")).string()}).exit_code == 0);
  const auto pw = write_file(tmp.path() / "pw", "remote-s3cret");
  auto secret_set = svl_at(config, {"secret", "set", "rpw", "--from-file", pw.string(), "--context", "root"});
  CHECK_MESSAGE(secret_set.exit_code == 0, secret_set.err);
  auto secrets = svl_at(config, {"secret", "ls", "--context", "root"});
  CHECK_MESSAGE(secrets.out.find("rpw") != std::string::npos, secrets.err);
  CHECK(secrets.out.find("remote-s3cret") == std::string::npos);
  auto secret_by_deploy = svl_at(config, {"secret", "set", "rpw2", "--from-file", pw.string()});
  CHECK(secret_by_deploy.exit_code != 0);
  CHECK_MESSAGE(secret_by_deploy.err.find("needs admin") != std::string::npos, secret_by_deploy.err);

  // The whole path: upload, build on the daemon's Docker (lines streamed back), deploy, ready.
  const auto dir = write_built_function(tmp.path(), "rbuild");
  auto up = svl_at(config, {"up", dir.string()});
  REQUIRE_MESSAGE(up.exit_code == 0, up.err);
  CHECK(up.err.find("building rbuild from " + dir.string()) != std::string::npos);
  CHECK(up.err.find(" on " + admin.url + "\n") != std::string::npos);
  CHECK_MESSAGE(up.err.find("COPY marker.txt /marker.txt") != std::string::npos, up.err);
  CHECK(up.out.find("rbuild is ready") != std::string::npos);
  auto marker = svl::test::get(d.gateway_port(), "/fn/rbuild/file?path=/marker.txt");
  CHECK(marker.status == 200);
  CHECK(marker.body == "built on the daemon\n");
  CHECK(shell("docker image inspect -f '{{index .Config.Labels \"svl.function\"}}' svl/rbuild:latest").find("rbuild") !=
        std::string::npos);
  CHECK(uploads_left() == 0);

  // A read token may not build: refused on the header, with what it needs.
  auto by_read = svl_at(config, {"up", dir.string(), "--context", "ro"});
  CHECK(by_read.exit_code != 0);
  CHECK_MESSAGE(by_read.err.find("POST /v1/builds needs deploy") != std::string::npos, by_read.err);

  // Over the daemon's limit: 413 naming it, before the body is read.
  const auto big = write_built_function(tmp.path(), "rbig");
  shell("head -c 3145728 /dev/urandom > " + (big / "blob.bin").string());
  auto too_big = svl_at(config, {"up", big.string()});
  CHECK(too_big.exit_code != 0);
  CHECK_MESSAGE(too_big.err.find("more than this daemon's limit of 2097152 (max_build_context)") != std::string::npos,
                too_big.err);

  // Not a tar: 400 from the check, naming the context. Without a token: 401 before any body.
  std::ofstream(tmp.path() / "junk") << "this is not a tar at all, only some words to upload\n";
  const auto auth = "-H 'Authorization: Bearer " + ci_token + "' ";
  const auto junk = curl(auth + "--data-binary @" + (tmp.path() / "junk").string() + " '" + admin.url +
                         "/v1/builds?function=rbuild'");
  CHECK_MESSAGE(junk.find("context: the build context is not a tar") != std::string::npos, junk);
  CHECK(junk.ends_with(" 400"));
  const auto anonymous = curl("--data-binary @" + (tmp.path() / "junk").string() + " " + admin.url + "/v1/builds?function=x");
  CHECK(anonymous.ends_with(" 401"));
  // Crafted tars, built remotely: refused by name before Docker reads them.
  for (const auto& [entry, why] : std::vector<std::pair<svl::test::TarEntry, std::string>>{
           {{"../escape"}, "entry \"../escape\" points outside the context"},
           {{"/etc/passwd"}, "entry \"/etc/passwd\" points outside the context"},
           {{"etc", AE_IFLNK, "/etc"}, "entry \"etc\" is a link to \"/etc\", outside the context"},
           {{"up", AE_IFLNK, "../../.."}, "entry \"up\" is a link to \"../../..\""}}) {
    svl::test::write_tar(tmp.path() / "evil.tar", {{"Dockerfile"}, entry});
    const auto evil = std::regex_replace(curl(auth + "--data-binary @" + (tmp.path() / "evil.tar").string() + " '" +
                                              admin.url + "/v1/builds?function=rbuild'"),
                                         std::regex(R"(\\")"), "\"");  // the JSON's \" read as "
    CHECK_MESSAGE(evil.find(why) != std::string::npos, evil);
    CHECK(evil.ends_with(" 400"));
  }
  CHECK(uploads_left() == 0);

  // A client that breaks off mid-upload: its spool file goes, the daemon carries on.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", d.admin().c_str());
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string half = "POST /v1/builds?function=rbuild HTTP/1.1\r\nHost: svl\r\nContent-Length: 1000000\r\n\r\n";
    half += std::string(300000, 'x');
    for (std::size_t sent = 0; sent < half.size();) {
      const auto n = ::write(fd, half.data() + sent, half.size() - sent);
      REQUIRE(n > 0);
      sent += static_cast<std::size_t>(n);
    }
    CHECK(wait_for([&] { return uploads_left() == 1; }, 5s));  // it was being spooled
    ::close(fd);
  }
  CHECK(wait_for([&] { return uploads_left() == 0; }, 5s));
  CHECK(d.cli({"ls"}).exit_code == 0);

  // A client that goes away mid-build cancels it: the step that never ends is stopped.
  const auto hang = write_built_function(tmp.path(), "rhang", "RUN [\"/server\", \"svl-build-cancel-marker\"]\n");
  ::setenv("XDG_CONFIG_HOME", config.c_str(), 1);
  {
    svl::test::SvlProcess client({"up", hang.string()}, tmp.path() / "hang.log");
    ::unsetenv("XDG_CONFIG_HOME");
    REQUIRE(wait_for([&] { return build_container_running("svl-build-cancel-marker"); }, 60s, 200ms));
    client.signal(SIGKILL);
    (void)client.wait_exit(5s);
  }
  CHECK_MESSAGE(wait_for([&] { return !build_container_running("svl-build-cancel-marker"); }, 20s, 200ms),
                shell("docker ps --no-trunc"));
  CHECK(d.cli({"ls"}).exit_code == 0);  // and the daemon carries on
}
