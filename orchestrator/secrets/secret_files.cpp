#include "orchestrator/secrets/secret_files.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace svl::secrets {
namespace fs = std::filesystem;
namespace {

std::string failure(const fs::path& path, std::string_view what) {
  return "secret files " + path.string() + ": " + std::string(what) + ": " + std::strerror(errno);
}

bool parse_id(std::string_view text, std::uint32_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// mkdir with a mode umask cannot widen, owned by `owner` when it is known.
std::optional<std::string> make_dir(const fs::path& path, mode_t mode, const Owner* owner) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return failure(path, "cannot create");
  if (::chmod(path.c_str(), mode) != 0) return failure(path, "cannot set its mode");
  if (owner && owner->known && ::chown(path.c_str(), owner->uid, owner->gid) != 0 && geteuid() == 0)
    return failure(path, "cannot give it to the image's user");
  return std::nullopt;
}

std::optional<std::string> write_file(const fs::path& path, const std::string& value, mode_t mode, const Owner* owner) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return failure(path, "cannot create");
  const bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size()) &&
                  ::fchmod(fd, mode) == 0 &&
                  (!owner || !owner->known || ::fchown(fd, owner->uid, owner->gid) == 0 || geteuid() != 0);
  ::close(fd);
  if (!ok) return failure(path, "cannot write");
  return std::nullopt;
}

Result<Snapshot, std::string> read_back(const fs::path& dir, const std::map<std::string, orchestrator::SecretMount>& mounts) {
  Snapshot out;
  for (const auto& [key, mount] : mounts) {
    if (!mount.env) {
      out.files_dir = (dir / "files").string();
      continue;
    }
    std::ifstream in(dir / "env" / key, std::ios::binary);
    if (!in) return failure(dir / "env" / key, "cannot read");
    std::ostringstream text;
    text << in.rdbuf();
    out.env[key] = text.str();
  }
  return out;
}

}  // namespace

namespace {

// The id (third field) and, for /etc/passwd, the group (fourth) of `name`'s line in an
// /etc/passwd or /etc/group text.
bool lookup(std::string_view text, std::string_view name, std::uint32_t& id, std::uint32_t* gid = nullptr) {
  while (!text.empty()) {
    const auto nl = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(std::min(nl + 1, text.size()));
    std::vector<std::string_view> fields;
    for (std::size_t pos = 0;;) {
      const auto colon = line.find(':', pos);
      fields.push_back(line.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos));
      if (colon == std::string_view::npos) break;
      pos = colon + 1;
    }
    if (fields.size() < 3 || fields[0] != name || !parse_id(fields[2], id)) continue;
    return !gid || (fields.size() >= 4 && parse_id(fields[3], *gid));
  }
  return false;
}

}  // namespace

Owner owner_from_image_user(std::string_view user, std::string_view passwd, std::string_view group) {
  Owner o;
  if (user.empty()) return o;
  const auto colon = user.find(':');
  const auto uid = user.substr(0, colon);
  std::uint32_t passwd_gid = 0;  // Docker's group for a user given alone: its passwd entry's, else 0
  if (!parse_id(uid, o.uid) && !lookup(passwd, uid, o.uid, &passwd_gid)) return Owner{0, 0, false};
  if (colon == std::string_view::npos) {
    o.gid = passwd_gid;
    return o;
  }
  const auto gid = user.substr(colon + 1);
  if (!parse_id(gid, o.gid) && !lookup(group, gid, o.gid)) return Owner{0, 0, false};
  return o;
}

Result<Snapshot, std::string> SecretFiles::ensure(const std::string& function, long revision,
                                                  const std::map<std::string, orchestrator::SecretMount>& mounts,
                                                  Owner owner, const FetchValues& fetch) const {
  const fs::path fn_dir = root_ / function;
  const fs::path dir = fn_dir / std::to_string(revision);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(root_, ec);
    if (auto e = make_dir(root_, 0711, nullptr)) return *e;  // dockerd (root) resolves the mounts
    if (auto e = make_dir(fn_dir, 0700, nullptr)) return *e;
    auto values = fetch();
    if (!values) return values.error();
    const fs::path tmp = fn_dir / (".new-" + std::to_string(revision) + "-" + std::to_string(::getpid()));
    fs::remove_all(tmp, ec);
    std::optional<std::string> e = make_dir(tmp, 0700, nullptr);
    if (!e) e = make_dir(tmp / "files", owner.known ? 0700 : 0755, &owner);
    if (!e) e = make_dir(tmp / "env", 0700, nullptr);
    for (auto it = mounts.begin(); !e && it != mounts.end(); ++it) {
      const auto& value = (*values)[it->first];
      e = it->second.env ? write_file(tmp / "env" / it->first, value, 0600, nullptr)
                         : write_file(tmp / "files" / it->first, value, owner.known ? 0400 : 0444, &owner);
    }
    if (!e && ::rename(tmp.c_str(), dir.c_str()) != 0) e = failure(dir, "cannot move into place");
    if (e) {
      fs::remove_all(tmp, ec);
      return *e;
    }
  }
  for (const auto& entry : fs::directory_iterator(fn_dir, ec))  // older revisions' snapshots
    if (entry.path().filename() != dir.filename() && !entry.path().filename().string().starts_with(".new-"))
      fs::remove_all(entry.path(), ec);
  return read_back(dir, mounts);
}

void SecretFiles::remove_function(const std::string& function) const {
  std::error_code ec;
  if (!function.empty() && function.find('/') == std::string::npos) fs::remove_all(root_ / function, ec);
}

}  // namespace svl::secrets
