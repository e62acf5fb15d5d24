#include "sandbox/spec_codec.h"

#include <cstring>

#include "walls/seccomp.h"
#include "walls/terminal.h"

namespace paddock {

namespace {

constexpr uint32_t kMagic = 0x50444b32;         // "PDK2": catches a reader and writer out of step
constexpr uint32_t kCommandMagic = 0x50444b43;  // "PDKC": the command part

class Writer {
 public:
  void u32(uint32_t v) { raw(&v, sizeof v); }
  void u64(uint64_t v) { raw(&v, sizeof v); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void strings(const std::vector<std::string>& v) {
    u32(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) str(s);
  }
  void raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u32(uint32_t& v) { return raw(&v, sizeof v); }
  bool u64(uint64_t& v) { return raw(&v, sizeof v); }
  bool str(std::string& s) {
    uint32_t n;
    if (!u32(n) || n > in_.size()) return false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool strings(std::vector<std::string>& v) {
    uint32_t n;
    // Every string takes at least its 4-byte length: bounds the count before allocating.
    if (!u32(n) || n > in_.size() / 4) return false;
    v.resize(n);
    for (auto& s : v)
      if (!str(s)) return false;
    return true;
  }
  bool raw(void* p, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string encode_walls(const SandboxSpec& spec) {
  Writer w;
  w.u32(kMagic);
  w.u32(static_cast<uint32_t>(spec.mounts.ops.size()));
  for (const auto& op : spec.mounts.ops) {
    w.u32(static_cast<uint32_t>(op.kind));
    w.str(op.path);
    w.str(op.source);
    w.u32(op.writable ? 1 : 0);
    w.str(op.store);
    w.str(op.upper);
    w.str(op.work);
  }
  const LandlockPlan& l = spec.landlock;
  w.u32(static_cast<uint32_t>(l.abi));
  w.u64(l.handled_fs);
  w.u64(l.handled_net);
  w.u64(l.scoped);
  w.u32(static_cast<uint32_t>(l.rules.size()));
  for (const auto& r : l.rules) {
    w.str(r.path);
    w.u64(r.access);
  }
  w.u32(static_cast<uint32_t>(l.connect_ports.size()));
  for (uint16_t port : l.connect_ports) w.u32(port);
  w.u32(static_cast<uint32_t>(l.bind_ports.size()));
  for (uint16_t port : l.bind_ports) w.u32(port);
  w.str(spec.cwd);
  const ViewExtras& x = spec.view_extras;
  w.u32(static_cast<uint32_t>(x.ptys.size()));
  for (unsigned n : x.ptys) w.u32(n);
  w.str(x.hosts_path);
  w.str(x.hosts);
  w.str(x.resolv_path);
  w.str(x.resolv);
  w.str(spec.ssh_agent_socket);
  w.u32(static_cast<uint32_t>(spec.host_ports.size()));
  for (uint16_t port : spec.host_ports) w.u32(port);
  w.u32(spec.socket_factory ? 1 : 0);
  w.u32(spec.own_terminal.enabled ? 1 : 0);
  w.u32(spec.own_terminal.stdio);
  return w.take();
}

std::string encode_command(const SandboxSpec& spec) {
  Writer w;
  w.u32(kCommandMagic);
  w.strings(spec.argv);
  w.strings(spec.env);
  w.raw(&spec.signal_mask, sizeof spec.signal_mask);
  return w.take();
}

std::string encode_spec(const SandboxSpec& spec) {
  return encode_walls(spec) + encode_command(spec);
}

namespace {

Error bad(const char* what) {
  return plain_error("sandbox spec", std::string("malformed at ") + what);
}

Status read_command(Reader& r, SandboxSpec& spec) {
  uint32_t magic = 0;
  if (!r.u32(magic) || magic != kCommandMagic) return bad("the command header");
  if (!r.strings(spec.argv) || !r.strings(spec.env) ||
      !r.raw(&spec.signal_mask, sizeof spec.signal_mask))
    return bad("the command");
  if (spec.argv.empty()) return bad("the command (no argv)");
  return ok_status();
}

// Everything but the command; `r` is left after the walls.
Status read_walls(Reader& r, SandboxSpec& spec) {
  uint32_t magic = 0, n = 0;
  if (!r.u32(magic) || magic != kMagic) return bad("the header");
  // Each step takes at least its kind, four string lengths and the writable flag.
  if (!r.u32(n) || n > r.left() / 28) return bad("the mount count");
  spec.mounts.ops.resize(n);
  for (auto& op : spec.mounts.ops) {
    uint32_t kind = 0, writable = 0;
    if (!r.u32(kind) || kind > static_cast<uint32_t>(MountOp::Kind::MaskFile) || !r.str(op.path) ||
        !r.str(op.source) || !r.u32(writable) || !r.str(op.store) || !r.str(op.upper) ||
        !r.str(op.work))
      return bad("a mount step");
    op.kind = static_cast<MountOp::Kind>(kind);
    op.writable = writable != 0;
  }
  LandlockPlan& l = spec.landlock;
  uint32_t abi = 0;
  if (!r.u32(abi) || !r.u64(l.handled_fs) || !r.u64(l.handled_net) || !r.u64(l.scoped))
    return bad("the Landlock header");
  l.abi = static_cast<int>(abi);
  if (!r.u32(n) || n > r.left() / 12) return bad("the Landlock rule count");
  l.rules.resize(n);
  for (auto& rule : l.rules)
    if (!r.str(rule.path) || !r.u64(rule.access)) return bad("a Landlock rule");
  if (!r.u32(n) || n > r.left() / 4) return bad("the port count");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t port = 0;
    if (!r.u32(port) || port > 65535) return bad("a port");
    l.connect_ports.push_back(static_cast<uint16_t>(port));
  }
  if (!r.u32(n) || n > r.left() / 4) return bad("the bind port count");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t port = 0;
    if (!r.u32(port) || port > 65535) return bad("a bind port");
    l.bind_ports.push_back(static_cast<uint16_t>(port));
  }
  if (!r.str(spec.cwd)) return bad("the working directory");
  ViewExtras& x = spec.view_extras;
  if (!r.u32(n) || n > r.left() / 4) return bad("the terminal count");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t pty = 0;
    if (!r.u32(pty) || pty > kMaxExposedPty) return bad("a terminal");
    x.ptys.push_back(pty);
  }
  if (!r.str(x.hosts_path) || !r.str(x.hosts)) return bad("the hosts file");
  if (!r.str(x.resolv_path) || !r.str(x.resolv)) return bad("the resolver file");
  if (!r.str(spec.ssh_agent_socket)) return bad("the ssh agent socket");
  if (!r.u32(n) || n > kMaxHostPorts) return bad("the host port count");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t port = 0;
    if (!r.u32(port) || port == 0 || port > 65535) return bad("a host port");
    spec.host_ports.push_back(static_cast<uint16_t>(port));
  }
  uint32_t factory = 0;
  if (!r.u32(factory) || factory > 1) return bad("the socket factory flag");
  spec.socket_factory = factory == 1;
  uint32_t own = 0, stdio = 0;
  if (!r.u32(own) || own > 1 || !r.u32(stdio) || stdio > 7 || (own == 0 && stdio != 0))
    return bad("the terminal of its own");
  spec.own_terminal.enabled = own == 1;
  spec.own_terminal.stdio = static_cast<uint8_t>(stdio);
  spec.seccomp = sandbox_seccomp_program();
  return ok_status();
}

}  // namespace

Result<SandboxSpec> decode_walls(std::string_view bytes) {
  Reader r(bytes);
  SandboxSpec spec;
  PADDOCK_TRY(read_walls(r, spec));
  if (!r.done()) return bad("the end (trailing bytes)");
  return spec;
}

Status decode_command(std::string_view bytes, SandboxSpec& spec) {
  Reader r(bytes);
  PADDOCK_TRY(read_command(r, spec));
  if (!r.done()) return bad("the end (trailing bytes)");
  return ok_status();
}

Result<SandboxSpec> decode_spec(std::string_view bytes) {
  Reader r(bytes);
  SandboxSpec spec;
  PADDOCK_TRY(read_walls(r, spec));
  PADDOCK_TRY(read_command(r, spec));
  if (!r.done()) return bad("the end (trailing bytes)");
  return spec;
}

}  // namespace paddock
