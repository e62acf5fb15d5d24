#include "settings/settings_append.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "settings/settings.h"

namespace paddock {

namespace {

using Json = nlohmann::ordered_json;

// "line L, column C" of byte offset `at` (1-based, as editors count).
std::string position(std::string_view text, std::size_t at) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

Status mkdirs(const std::string& dir) {
  if (dir.empty() || dir == "/") return ok_status();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return ok_status();
  const auto slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) PADDOCK_TRY(mkdirs(dir.substr(0, slash)));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("mkdir", dir);
  return ok_status();
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("write", path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok_status();
}

Result<std::string> read_file(const std::string& path, bool& exists) {
  exists = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return sys_error("open", path);
  }
  UniqueFd f(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return sys_error("fstat", path);
  if (!S_ISREG(st.st_mode)) return plain_error(path, "not a regular file");
  if (static_cast<std::size_t>(st.st_size) > kMaxSettingsFileBytes)
    return plain_error(path, "larger than the settings size limit");
  exists = true;
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", path);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > kMaxSettingsFileBytes)
      return plain_error(path, "larger than the settings size limit");
  }
  return out;
}

}  // namespace

Result<AppendedSettings> append_allowed_domain(std::string_view text, const std::string& pattern,
                                               const std::string& name) {
  Json j = Json::object();
  bool blank = true;
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') blank = false;
  if (!blank) {
    try {
      j = Json::parse(text);
    } catch (const Json::parse_error& e) {
      return plain_error(
          name, "not valid JSON (" + position(text, e.byte ? e.byte - 1 : 0) + "); left unchanged");
    } catch (const Json::exception& e) {
      // A number beyond a double's range, for one.
      return plain_error(name,
                         std::string("cannot be read back (") + e.what() + "); left unchanged");
    }
  }
  if (!j.is_object()) return plain_error(name, "not a JSON object; left unchanged");
  Json& net = j["network"];
  if (net.is_null()) net = Json::object();
  if (!net.is_object()) return plain_error(name, "\"network\" is not an object; left unchanged");
  Json& allowed = net["allowedDomains"];
  if (allowed.is_null()) allowed = Json::array();
  if (!allowed.is_array())
    return plain_error(name, "\"network.allowedDomains\" is not a list; left unchanged");
  AppendedSettings out;
  for (const auto& e : allowed)
    if (e.is_string() && e.get_ref<const std::string&>() == pattern) {
      out.text = std::string(text);
      return out;
    }
  allowed.push_back(pattern);
  try {
    out.text = j.dump(2) + "\n";
  } catch (const Json::exception& e) {
    return plain_error(name, std::string("cannot be written back: ") + e.what());
  }
  out.added = true;
  return out;
}

Result<bool> append_allowed_domain_to_file(const std::string& path, const std::string& pattern) {
  std::string target = path;
  if (char* real = ::realpath(path.c_str(), nullptr); real != nullptr) {
    target = real;
    std::free(real);
  }
  bool exists = false;
  auto text = read_file(target, exists);
  if (!text) return text.error();
  auto next = append_allowed_domain(*text, pattern, target);
  if (!next) return next.error();
  if (!next->added) return false;
  // What paddock will read next time must still load.
  if (auto check = parse_settings(next->text, target); !check) return check.error();

  const auto slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : target.substr(0, slash);
  if (!exists) PADDOCK_TRY(mkdirs(dir));
  mode_t mode = 0600;
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (struct stat st{}; exists && ::stat(target.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
    uid = st.st_uid;
    gid = st.st_gid;
  }
  std::string tmp = target + ".paddock-XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return sys_error("mkostemp", tmp);
  UniqueFd f(fd);
  auto fail = [&tmp](Error e) {
    ::unlink(tmp.c_str());
    return e;
  };
  if (::fchmod(fd, mode) != 0) return fail(sys_error("fchmod", tmp));
  // root writing a user's file keeps it theirs; for anyone else this is a no-op.
  if (uid != ::geteuid() || gid != ::getegid()) (void)!::fchown(fd, uid, gid);
  if (Status s = write_all(fd, next->text, tmp); !s.ok()) return fail(s.error());
  if (::fsync(fd) != 0) return fail(sys_error("fsync", tmp));
  f.reset();
  if (::rename(tmp.c_str(), target.c_str()) != 0) return fail(sys_error("rename", target));
  return true;
}

}  // namespace paddock
