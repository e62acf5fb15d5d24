#include "policy/git_url.h"

#include <utility>

namespace paddock {
namespace {

Error refused(std::string why) {
  return plain_error("parse git URL", std::move(why));
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// url.c: is_urlschemechar.
bool is_scheme_char(char c, bool first) {
  return is_alnum(c) || (!first && (c == '+' || c == '-' || c == '.'));
}

// url.c: is_url: a scheme, then "://".
bool has_scheme(std::string_view url) {
  if (url.empty() || !is_scheme_char(url[0], true)) return false;
  std::size_t i = 1;
  while (i < url.size() && url[i] != ':') {
    if (!is_scheme_char(url[i], false)) return false;
    ++i;
  }
  return url.substr(i).starts_with("://");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// git decodes %XX in every URL it connects to itself (ssh, git, file), after the scheme, before
// it splits host from path; %00 stays as it is.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

bool has_control_or_space(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool is_ipv4(std::string_view s) {
  int parts = 0;
  while (true) {
    const std::size_t dot = s.find('.');
    const std::string_view part = s.substr(0, dot);
    if (part.empty() || part.size() > 3) return false;
    int value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// RFC 4291 text form: eight groups of 1 to 4 hex digits, one "::" for a run of zero groups, an
// IPv4 address in place of the last two.
bool is_ipv6(std::string_view s) {
  int groups = 0;
  bool elided = false;
  if (s.starts_with("::")) {
    elided = true;
    s.remove_prefix(2);
    if (s.empty()) return true;
  }
  for (;;) {
    const std::size_t colon = s.find(':');
    const std::string_view group = s.substr(0, colon);
    if (colon == std::string_view::npos && group.find('.') != std::string_view::npos) {
      if (!is_ipv4(group)) return false;
      groups += 2;
      break;
    }
    if (group.empty() || group.size() > 4) return false;
    for (char c : group) {
      if (hex_value(c) < 0) return false;
    }
    ++groups;
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
    if (s.starts_with(':')) {
      if (elided) return false;
      elided = true;
      s.remove_prefix(1);
      if (s.empty()) break;
    } else if (s.empty()) {
      return false;
    }
  }
  return elided ? groups <= 7 : groups == 8;
}

// A host name or address as written between "//" (or the start) and the port: letters, digits,
// '.', '-', '_', not starting with '-' or '.'; or an IPv6 literal in brackets.
Result<std::string> parse_host(std::string_view host) {
  if (host.empty()) return refused("no host name");
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return refused("a '[' without its ']' in the host");
    const std::string_view inner = host.substr(1, host.size() - 2);
    if (!is_ipv6(inner)) return refused("only an IPv6 address may stand in brackets");
    return lower(inner);
  }
  if (host.front() == '-') return refused("a host name that starts with '-' (read as an option)");
  if (host.front() == '.') return refused("a host name that starts with '.'");
  for (char c : host) {
    if (!is_alnum(c) && c != '.' && c != '-' && c != '_') {
      return refused(std::string("the character '") + c + "' in the host name");
    }
  }
  return lower(host);
}

Result<std::uint16_t> parse_port(std::string_view port) {
  if (port.empty() || port.size() > 5)
    return refused("a port that is not a number from 1 to 65535");
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return refused("a port that is not a number from 1 to 65535");
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return refused("a port that is not a number from 1 to 65535");
  return static_cast<std::uint16_t>(value);
}

// "[user@]host[:port]" of an ssh:// or git:// URL, after percent-decoding (connect.c:
// get_host_and_port). An empty port after ':' is dropped, as git does.
Status parse_authority(std::string_view auth, GitUrl& out, bool allow_empty_port) {
  const std::size_t at = auth.find('@');
  if (at != std::string_view::npos) {
    if (auth.find('@', at + 1) != std::string_view::npos) return refused("more than one '@'");
    out.user = std::string(auth.substr(0, at));
    if (out.user.empty()) return refused("an empty user name before '@'");
    if (out.user.front() == '-') return refused("a user name that starts with '-'");
    for (char c : out.user) {
      if (c == '/' || c == '[' || c == ']' || c == '\\' || c == '?' || c == '#') {
        return refused(std::string("the character '") + c + "' in the user name");
      }
    }
    auth = auth.substr(at + 1);
  }
  std::string_view host = auth;
  std::string_view port;
  bool have_port = false;
  if (!auth.empty() && auth.front() == '[') {
    const std::size_t close = auth.find(']');
    if (close == std::string_view::npos) return refused("a '[' without its ']' in the host");
    host = auth.substr(0, close + 1);
    const std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return refused("text after the bracketed host");
      port = after.substr(1);
      have_port = true;
    }
  } else {
    const std::size_t colon = auth.find(':');
    if (colon != std::string_view::npos) {
      host = auth.substr(0, colon);
      port = auth.substr(colon + 1);
      have_port = true;
    }
  }
  Result<std::string> h = parse_host(host);
  if (!h.ok()) return h.error();
  out.host = std::move(*h);
  if (have_port && !(port.empty() && allow_empty_port)) {
    Result<std::uint16_t> p = parse_port(port);
    if (!p.ok()) return p.error();
    out.port = *p;
  }
  return ok_status();
}

// ssh://, git+ssh://, ssh+git://, git:// (git connects itself; connect.c: parse_connect_url).
Result<GitUrl> parse_native(std::string_view scheme, std::string_view rest) {
  const std::string decoded = percent_decode(rest);
  if (has_control_or_space(decoded)) {
    return refused("a control character or space in the URL (after %-decoding)");
  }
  const std::size_t slash = decoded.find('/');
  if (slash == std::string::npos) return refused("no path");
  GitUrl u;
  u.kind = GitUrl::Kind::kNetwork;
  u.scheme = scheme == "git" ? "git" : "ssh";
  Status s = parse_authority(std::string_view(decoded).substr(0, slash), u, true);
  if (!s.ok()) return s.error();
  u.path = decoded.substr(slash);
  return u;
}

// http(s):// and ftp(s)://: git hands the URL to git-remote-http, and curl parses it. Only
// shapes on which every reader agrees about the host pass.
Result<GitUrl> parse_curl(std::string_view scheme, std::string_view rest) {
  if (has_control_or_space(rest)) return refused("a control character or space in the URL");
  if (rest.find('\\') != std::string_view::npos) return refused("a '\\' in the URL");
  const std::size_t end = rest.find_first_of("/?#");
  const std::string_view auth = rest.substr(0, end);
  if (auth.find('%') != std::string_view::npos) {
    return refused("a '%' in the host or user part of the URL");
  }
  GitUrl u;
  u.kind = GitUrl::Kind::kNetwork;
  u.scheme = std::string(scheme);
  Status s = parse_authority(auth, u, false);
  if (!s.ok()) return s.error();
  if (end != std::string_view::npos) u.path = std::string(rest.substr(end));
  return u;
}

Result<GitUrl> parse_file(std::string_view rest) {
  std::string path = percent_decode(rest);
  if (path.empty()) return refused("no path");
  if (path.front() != '/') {
    // file://host/path: git ignores the host.
    const std::size_t slash = path.find('/');
    if (slash == std::string::npos) return refused("no path");
    path.erase(0, slash);
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return refused("a control character in the path");
  }
  GitUrl u;
  u.kind = GitUrl::Kind::kLocal;
  u.scheme = "file";
  u.path = std::move(path);
  return u;
}

// [user@]host:path, an ssh address.
Result<GitUrl> parse_scp_like(std::string_view url) {
  if (has_control_or_space(url)) return refused("a control character or space in the address");
  const std::size_t colon = url.find(':');
  const std::string_view auth = url.substr(0, colon);
  if (auth.find_first_of("[]") != std::string_view::npos) {
    return refused("brackets in an scp-like address (use ssh://[host]:port/path)");
  }
  GitUrl u;
  u.kind = GitUrl::Kind::kNetwork;
  u.scheme = "ssh";
  // The whole part before ':' is the host: scp-like addresses have no port.
  const std::size_t at = auth.find('@');
  std::string_view host = auth;
  if (at != std::string_view::npos) {
    if (auth.find('@', at + 1) != std::string_view::npos) return refused("more than one '@'");
    u.user = std::string(auth.substr(0, at));
    if (u.user.empty()) return refused("an empty user name before '@'");
    if (u.user.front() == '-') return refused("a user name that starts with '-'");
    host = auth.substr(at + 1);
  }
  Result<std::string> h = parse_host(host);
  if (!h.ok()) return h.error();
  u.host = std::move(*h);
  u.path = std::string(url.substr(colon + 1));
  if (u.path.empty()) return refused("no path after ':'");
  if (u.path.front() == '-') return refused("a path that starts with '-'");
  return u;
}

}  // namespace

bool git_url_is_local(std::string_view url) {
  const std::size_t colon = url.find(':');
  const std::size_t slash = url.find('/');
  return colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon);
}

bool is_superproject_relative(std::string_view url) {
  return git_url_is_local(url) && !url.starts_with('/');
}

Result<GitUrl> parse_git_url(std::string_view url) {
  if (url.empty()) return refused("an empty URL");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return refused("a control character in the URL");
  }
  // <transport>::<address> (transport.c checks this before anything else).
  std::size_t p = 0;
  while (p < url.size() && is_scheme_char(url[p], p == 0)) ++p;
  if (url.substr(p).starts_with("::")) {
    const std::string helper(url.substr(0, p));
    if (helper == "ext") return refused("the ext:: transport runs a command");
    if (helper == "fd") return refused("the fd:: transport talks to inherited file descriptors");
    return refused("the " + helper + ":: form runs the remote helper git-remote-" + helper +
                   ", which decides where it connects");
  }
  if (url.starts_with("rsync:")) return refused("git no longer supports rsync");
  if (has_scheme(url)) {
    const std::size_t colon = url.find(':');
    const std::string_view scheme = url.substr(0, colon);
    const std::string_view rest = url.substr(colon + 3);
    if (scheme == "https" || scheme == "http" || scheme == "ftps" || scheme == "ftp") {
      return parse_curl(scheme, rest);
    }
    if (scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git" || scheme == "git") {
      return parse_native(scheme, rest);
    }
    if (scheme == "file") return parse_file(rest);
    return refused("the URL scheme " + std::string(scheme) +
                   ": git would run the remote helper git-remote-" + std::string(scheme));
  }
  if (git_url_is_local(url)) {
    if (url.front() == '-') return refused("a path that starts with '-'");
    GitUrl u;
    u.kind = GitUrl::Kind::kLocal;
    u.path = std::string(url);
    return u;
  }
  return parse_scp_like(url);
}

std::optional<std::string> resolve_submodule_url(std::string_view remote_url,
                                                 std::string_view url) {
  if (!is_superproject_relative(url)) return std::string(url);
  if (remote_url.empty()) return std::nullopt;
  std::string base(remote_url);
  if (base.back() == '/') base.pop_back();
  const bool base_relative = git_url_is_local(base) && !base.starts_with('/');
  if (base_relative && !base.starts_with("./") && !base.starts_with("../")) base = "./" + base;
  bool colon_separated = false;
  for (;;) {
    if (url.starts_with("../")) {
      url.remove_prefix(3);
      // One component off the base: after its last '/', else after its last ':'.
      const std::size_t slash = base.rfind('/');
      if (slash != std::string::npos) {
        base.erase(slash);
      } else if (const std::size_t colon = base.rfind(':'); colon != std::string::npos) {
        base.erase(colon);
        colon_separated = true;
      } else if (base_relative || base == ".") {
        return std::nullopt;
      } else {
        base = ".";
      }
    } else if (url.starts_with("./")) {
      url.remove_prefix(2);
    } else {
      break;
    }
  }
  std::string out = base + (colon_separated ? ":" : "/") + std::string(url);
  if (url.ends_with('/')) out.pop_back();
  if (out.starts_with("./")) out.erase(0, 2);
  return out;
}

}  // namespace paddock
