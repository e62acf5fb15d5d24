#include "settings/settings.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>

#include "base/unique_fd.h"
#include "settings/settings_json.h"
#include "settings/settings_schema.h"

namespace paddock {
namespace {

using settings_detail::find_invalid_utf8;
using settings_detail::parse_json;
using settings_detail::position_of;
using settings_detail::printable;
using settings_detail::SchemaError;
using settings_detail::settings_from_json;

Error settings_error(const std::string& name, std::string detail) {
  return plain_error("settings", std::move(detail), name);
}

std::string too_large(std::size_t bytes) {
  return "is " + std::to_string(bytes) + " bytes; a settings file may be at most 4 MiB (" +
         std::to_string(kMaxSettingsFileBytes) + " bytes)";
}

bool only_whitespace(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Why a stat result is not a settings file, or "" for a regular file.
std::string not_regular(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return {};
  if (S_ISDIR(st.st_mode)) return "is a directory, not a settings file";
  if (S_ISFIFO(st.st_mode)) return "is a named pipe (FIFO), not a regular file";
  if (S_ISCHR(st.st_mode)) return "is a character device, not a regular file";
  if (S_ISBLK(st.st_mode)) return "is a block device, not a regular file";
  if (S_ISSOCK(st.st_mode)) return "is a socket, not a regular file";
  return "is not a regular file";
}

// Loads `path`; sets *missing when the file (or a directory above it) does not exist.
Result<Settings> load_file(const std::string& path, bool* missing) {
  if (path.empty()) return settings_error(path, "empty file name");
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) {
    const int err = errno;
    struct stat lst {};
    if (err == ENOENT && ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
      return settings_error(path, "is a symbolic link to a file that does not exist");
    }
    if (err == ENOENT && missing != nullptr) *missing = true;
    return sys_error("settings", path, err);
  }
  const std::string resolved(real.get());

  // stat before open, so that a fifo, socket or device is never opened at all.
  struct stat st {};
  if (::stat(resolved.c_str(), &st) != 0) return sys_error("settings", path);
  if (std::string why = not_regular(st); !why.empty()) return settings_error(path, why);

  // O_NONBLOCK: should the name be swapped for a fifo in between, open does not wait for a writer.
  UniqueFd fd(::open(resolved.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) return sys_error("settings", path);
  if (::fstat(fd.get(), &st) != 0) return sys_error("settings", path);
  if (std::string why = not_regular(st); !why.empty()) return settings_error(path, why);
  if (st.st_size > static_cast<off_t>(kMaxSettingsFileBytes)) {
    return settings_error(path, too_large(static_cast<std::size_t>(st.st_size)));
  }

  // Read to EOF (the file may change size under us), one byte past the limit at most.
  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (text.size() > kMaxSettingsFileBytes) return settings_error(path, too_large(used));
      text.resize(std::min(text.size() * 2 + 4096, kMaxSettingsFileBytes + 1));
    }
    const ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("settings", path);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  text.resize(used);

  Result<Settings> r = parse_settings(text, path);
  if (r.ok()) r->source_path = resolved;
  return r;
}

// $HOME if absolute, else the passwd entry's; empty if there is none.
std::string home_dir() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return home;
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::string buf(16384, '\0');
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr && found->pw_dir[0] == '/') {
    return found->pw_dir;
  }
  return {};
}

// $XDG_CONFIG_HOME if set and absolute, else ~/.config; empty if there is no home directory.
std::string config_dir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return xdg;
  std::string home = home_dir();
  return home.empty() ? std::string() : home + "/.config";
}

}  // namespace

std::string default_settings_path() {
  std::string dir = config_dir();
  return dir.empty() ? std::string() : dir + "/paddock/settings.json";
}

Result<Settings> parse_settings(std::string_view text, const std::string& name) {
  if (text.size() > kMaxSettingsFileBytes) return settings_error(name, too_large(text.size()));
  if (const auto bad = find_invalid_utf8(text)) {
    const auto pos = position_of(text, *bad);
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[*bad]));
    return settings_error(name, "line " + std::to_string(pos.line) + ", column " +
                                    std::to_string(pos.column) + ": invalid UTF-8 (byte " + byte +
                                    "); a settings file must be UTF-8 text");
  }
  // nlohmann's parser takes a NUL byte for the end of the input and would ignore what follows.
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    const auto pos = position_of(text, nul);
    return settings_error(name, "line " + std::to_string(pos.line) + ", column " +
                                    std::to_string(pos.column) +
                                    ": NUL byte; a settings file must be text (write \\u0000 "
                                    "inside a string)");
  }
  if (only_whitespace(text)) {
    return settings_error(name, "the file is empty; write {} to use the built-in defaults");
  }
  try {
    settings_detail::JsonParseResult parsed = parse_json(text);
    if (!parsed.value) return settings_error(name, parsed.error);
    return settings_from_json(*parsed.value);
  } catch (const SchemaError& e) {
    return settings_error(name, e.detail);
  } catch (const std::bad_alloc&) {
    return settings_error(name, "out of memory while reading the settings");
  } catch (const std::exception& e) {
    return settings_error(name, "internal error: " + printable(e.what(), 200));
  }
}

Result<Settings> load_settings_file(const std::string& path) {
  return load_file(path, nullptr);
}

std::string srt_settings_path() {
  std::string home = home_dir();
  return home.empty() ? std::string() : home + "/.srt-settings.json";
}

Result<Settings> find_and_load_settings(const std::optional<std::string>& explicit_path) {
  if (explicit_path) return load_file(*explicit_path, nullptr);
  const std::string ours = default_settings_path();
  if (!ours.empty()) {
    bool missing = false;
    Result<Settings> r = load_file(ours, &missing);
    if (r.ok() || !missing) return r;
  }
  const std::string srt = srt_settings_path();
  if (srt.empty()) return Settings{};
  bool missing = false;
  Result<Settings> r = load_file(srt, &missing);
  if (!r.ok() && missing) return Settings{};
  if (r.ok())
    r->notes.insert(r->notes.begin(),
                    "settings: read srt's " + srt + " (" +
                        (ours.empty() ? std::string("paddock's own file") : ours) +
                        " does not exist; it takes precedence once created)");
  return r;
}

}  // namespace paddock
