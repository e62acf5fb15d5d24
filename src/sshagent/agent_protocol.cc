#include "sshagent/agent_protocol.h"

namespace paddock::sshagent {

namespace {

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool byte(uint8_t& v) {
    if (in_.empty()) return false;
    v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool u32(uint32_t& v) {
    if (in_.size() < 4) return false;
    v = uint32_t(uint8_t(in_[0])) << 24 | uint32_t(uint8_t(in_[1])) << 16 |
        uint32_t(uint8_t(in_[2])) << 8 | uint32_t(uint8_t(in_[3]));
    in_.remove_prefix(4);
    return true;
  }
  bool str(std::string_view& s) {
    uint32_t n = 0;
    if (!u32(n) || n > in_.size()) return false;
    s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

void put_u32(std::string& out, uint32_t v) {
  out.push_back(char(v >> 24));
  out.push_back(char(v >> 16));
  out.push_back(char(v >> 8));
  out.push_back(char(v));
}

void put_str(std::string& out, std::string_view s) {
  put_u32(out, uint32_t(s.size()));
  out.append(s);
}

}  // namespace

std::optional<size_t> frame_size(std::string_view buf) {
  if (buf.size() < 4) return size_t{0};
  Reader r(buf);
  uint32_t n = 0;
  r.u32(n);
  if (n == 0 || n > kMaxMessage) return std::nullopt;
  if (buf.size() - 4 < n) return size_t{0};
  return size_t{4} + n;
}

bool plausible_key_blob(std::string_view blob) {
  Reader r(blob);
  std::string_view type;
  if (!r.str(type) || type.empty() || type.size() > 64) return false;
  for (char c : type) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

std::optional<Request> parse_request(std::string_view body) {
  Reader r(body);
  Request req;
  if (!r.byte(req.type)) return std::nullopt;
  switch (req.type) {
    case kRequestIdentities:
      if (!r.done()) return std::nullopt;
      req.kind = Request::Kind::kListIdentities;
      return req;
    case kSignRequest: {
      std::string_view blob, data;
      if (!r.str(blob) || !r.str(data) || !r.u32(req.flags) || !r.done()) return std::nullopt;
      if (!plausible_key_blob(blob) || (req.flags & ~kSignFlagsKnown) != 0) return std::nullopt;
      req.kind = Request::Kind::kSign;
      req.key_blob.assign(blob);
      req.data.assign(data);
      return req;
    }
    default:
      req.kind = Request::Kind::kOther;
      return req;
  }
}

std::optional<std::vector<Identity>> parse_identities_answer(std::string_view body) {
  Reader r(body);
  uint8_t type = 0;
  uint32_t n = 0;
  if (!r.byte(type) || type != kIdentitiesAnswer || !r.u32(n)) return std::nullopt;
  // Each identity takes at least two lengths: bounds the count before anything is allocated.
  if (n > kMaxIdentities || n > r.left() / 8) return std::nullopt;
  std::vector<Identity> ids;
  ids.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view blob, comment;
    if (!r.str(blob) || !r.str(comment) || !plausible_key_blob(blob)) return std::nullopt;
    ids.push_back({std::string(blob), std::string(comment)});
  }
  if (!r.done()) return std::nullopt;
  return ids;
}

bool valid_sign_answer(std::string_view body) {
  Reader r(body);
  uint8_t type = 0;
  if (!r.byte(type)) return false;
  if (type == kFailure) return r.done();
  std::string_view sig;
  return type == kSignResponse && r.str(sig) && !sig.empty() && r.done();
}

std::string frame(std::string_view body) {
  std::string out;
  put_u32(out, uint32_t(body.size()));
  out.append(body);
  return out;
}

std::string failure_message() {
  return frame(std::string(1, char(kFailure)));
}

std::string identities_message(const std::vector<Identity>& ids) {
  std::string body(1, char(kIdentitiesAnswer));
  put_u32(body, uint32_t(ids.size()));
  for (const auto& id : ids) {
    put_str(body, id.key_blob);
    put_str(body, id.comment);
  }
  return frame(body);
}

std::string request_identities_message() {
  return frame(std::string(1, char(kRequestIdentities)));
}

std::string sign_request_message(std::string_view key_blob, std::string_view data, uint32_t flags) {
  std::string body(1, char(kSignRequest));
  put_str(body, key_blob);
  put_str(body, data);
  put_u32(body, flags);
  return frame(body);
}

}  // namespace paddock::sshagent
