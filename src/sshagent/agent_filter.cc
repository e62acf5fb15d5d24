#include "sshagent/agent_filter.h"

#include <algorithm>

#include "base/sha256.h"

namespace paddock::sshagent {

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_unpadded(const uint8_t* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16;
    if (i + 1 < n) v |= uint32_t(p[i + 1]) << 8;
    if (i + 2 < n) v |= p[i + 2];
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    if (i + 1 < n) out.push_back(kBase64[(v >> 6) & 63]);
    if (i + 2 < n) out.push_back(kBase64[v & 63]);
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const char* at = std::find(kBase64, kBase64 + 64, c);
    if (at == kBase64 + 64) return std::nullopt;
    acc = (acc << 6) | uint32_t(at - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::string fingerprint(std::string_view key_blob) {
  auto d = sha256(key_blob);
  return "SHA256:" + base64_unpadded(d.data(), d.size());
}

bool KeyAllowlist::add_fingerprint(std::string_view fp) {
  constexpr std::string_view kPrefix = "SHA256:";
  if (fp.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view b64 = fp.substr(kPrefix.size());
  while (!b64.empty() && b64.back() == '=') b64.remove_suffix(1);
  auto raw = base64_decode(b64);
  if (!raw || raw->size() != 32) return false;
  fingerprints_.emplace_back(b64);
  return true;
}

size_t KeyAllowlist::add_public_keys(std::string_view text) {
  size_t added = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    // "type base64 [comment]"; the blob's own first string must name the same type.
    size_t sp = line.find_first_of(" \t");
    if (line.empty() || line[0] == '#' || sp == std::string_view::npos) continue;
    std::string_view type = line.substr(0, sp);
    std::string_view rest = line.substr(sp);
    size_t b = rest.find_first_not_of(" \t");
    if (b == std::string_view::npos) continue;
    rest = rest.substr(b);
    std::string_view b64 = rest.substr(0, rest.find_first_of(" \t\r"));
    auto blob = base64_decode(b64);
    if (!blob || !plausible_key_blob(*blob)) continue;
    if (blob->size() < 4 + type.size() || std::string_view(*blob).substr(4, type.size()) != type)
      continue;
    blobs_.push_back(std::move(*blob));
    ++added;
  }
  return added;
}

bool KeyAllowlist::allows(std::string_view key_blob) const {
  if (std::find(blobs_.begin(), blobs_.end(), key_blob) != blobs_.end()) return true;
  if (fingerprints_.empty()) return false;
  std::string fp = fingerprint(key_blob).substr(7);
  return std::find(fingerprints_.begin(), fingerprints_.end(), fp) != fingerprints_.end();
}

Decision decide(std::string_view body, const KeyAllowlist& allow) {
  Decision d;
  std::optional<Request> req = parse_request(body);
  if (!req) return d;
  d.kind = req->kind;
  switch (req->kind) {
    case Request::Kind::kListIdentities:
      d.action = Decision::Action::kForward;
      d.forward = request_identities_message();
      return d;
    case Request::Kind::kSign:
      if (!allow.empty() && !allow.allows(req->key_blob)) return d;
      d.action = Decision::Action::kForward;
      d.forward = sign_request_message(req->key_blob, req->data, req->flags);
      return d;
    case Request::Kind::kOther:
      return d;
  }
  return d;
}

std::string filter_answer(Request::Kind kind, std::string_view agent_body,
                          const KeyAllowlist& allow) {
  if (kind == Request::Kind::kListIdentities) {
    auto ids = parse_identities_answer(agent_body);
    if (!ids) return failure_message();
    if (!allow.empty())
      ids->erase(std::remove_if(ids->begin(), ids->end(),
                                [&allow](const Identity& i) { return !allow.allows(i.key_blob); }),
                 ids->end());
    return identities_message(*ids);
  }
  if (kind == Request::Kind::kSign && valid_sign_answer(agent_body)) return frame(agent_body);
  return failure_message();
}

}  // namespace paddock::sshagent
