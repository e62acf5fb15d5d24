#include "proxy/parse/socks5.h"

#include <arpa/inet.h>

#include <algorithm>

namespace paddock::proxy {
namespace {

unsigned char byte_at(std::string_view buf, std::size_t i) {
  return static_cast<unsigned char>(buf[i]);
}

SocksGreetingResult greeting_error(SocksError e, std::string reason) {
  SocksGreetingResult r;
  r.state = SocksState::Error;
  r.error = e;
  r.reason = std::move(reason);
  return r;
}

SocksRequestResult request_error(SocksError e, SocksReply reply, std::string reason) {
  SocksRequestResult r;
  r.state = SocksState::Error;
  r.error = e;
  r.reply = reply;
  r.reason = std::move(reason);
  return r;
}

void append_address(std::string& out, const SocksAddress& a) {
  switch (a.type) {
    case SocksAddressType::IPv4:
      out.push_back(static_cast<char>(SocksAddressType::IPv4));
      out.append(reinterpret_cast<const char*>(a.ip.data()), 4);
      break;
    case SocksAddressType::IPv6:
      out.push_back(static_cast<char>(SocksAddressType::IPv6));
      out.append(reinterpret_cast<const char*>(a.ip.data()), 16);
      break;
    case SocksAddressType::Domain: {
      // A domain field holds 1..255 bytes; anything else is sent as 0.0.0.0.
      if (a.domain.empty() || a.domain.size() > 255) {
        out.push_back(static_cast<char>(SocksAddressType::IPv4));
        out.append(4, '\0');
        break;
      }
      out.push_back(static_cast<char>(SocksAddressType::Domain));
      out.push_back(static_cast<char>(a.domain.size()));
      out += a.domain;
      break;
    }
  }
  out.push_back(static_cast<char>(a.port >> 8));
  out.push_back(static_cast<char>(a.port & 0xff));
}

}  // namespace

std::string SocksAddress::host() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (type) {
    case SocksAddressType::IPv4:
      if (inet_ntop(AF_INET, ip.data(), buf, sizeof buf) == nullptr) return {};
      return buf;
    case SocksAddressType::IPv6:
      if (inet_ntop(AF_INET6, ip.data(), buf, sizeof buf) == nullptr) return {};
      return buf;
    case SocksAddressType::Domain:
      return domain;
  }
  return {};
}

SocksGreetingResult parse_socks5_greeting(std::string_view buf) {
  if (buf.empty()) return {};
  const unsigned char ver = byte_at(buf, 0);
  if (ver == 4) return greeting_error(SocksError::Socks4, "socks4 is not supported (use SOCKS5)");
  if (ver != 5) return greeting_error(SocksError::BadVersion, "not a SOCKS5 greeting");
  if (buf.size() < 2) return {};
  const std::size_t n = byte_at(buf, 1);
  if (n == 0) return greeting_error(SocksError::NoMethods, "SOCKS5 greeting offers no methods");
  if (buf.size() < 2 + n) return {};
  SocksGreetingResult r;
  r.state = SocksState::Done;
  r.consumed = 2 + n;
  r.greeting.methods.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t m = byte_at(buf, 2 + i);
    r.greeting.methods.push_back(m);
    if (m == kSocksMethodNoAuth) r.greeting.offers_no_auth = true;
  }
  return r;
}

SocksRequestResult parse_socks5_request(std::string_view buf) {
  if (buf.empty()) return {};
  if (byte_at(buf, 0) != 5) {
    return request_error(SocksError::BadVersion, SocksReply::GeneralFailure,
                         "not a SOCKS5 request");
  }
  if (buf.size() < 2) return {};
  const unsigned char cmd = byte_at(buf, 1);
  if (cmd < 1 || cmd > 3) {
    return request_error(SocksError::BadCommand, SocksReply::CommandNotSupported,
                         "unknown SOCKS5 command");
  }
  if (buf.size() < 3) return {};
  if (byte_at(buf, 2) != 0) {
    return request_error(SocksError::BadReserved, SocksReply::GeneralFailure,
                         "SOCKS5 reserved byte is not 0");
  }
  if (buf.size() < 4) return {};
  SocksRequestResult r;
  r.request.command = static_cast<SocksCommand>(cmd);
  SocksAddress& a = r.request.address;
  std::size_t addr_end = 0;  // offset of DST.PORT
  switch (byte_at(buf, 3)) {
    case 1:
      a.type = SocksAddressType::IPv4;
      addr_end = 4 + 4;
      if (buf.size() < addr_end + 2) return {};
      for (std::size_t i = 0; i < 4; ++i) a.ip[i] = byte_at(buf, 4 + i);
      break;
    case 4:
      a.type = SocksAddressType::IPv6;
      addr_end = 4 + 16;
      if (buf.size() < addr_end + 2) return {};
      for (std::size_t i = 0; i < 16; ++i) a.ip[i] = byte_at(buf, 4 + i);
      break;
    case 3: {
      a.type = SocksAddressType::Domain;
      if (buf.size() < 5) return {};
      const std::size_t len = byte_at(buf, 4);
      if (len == 0) {
        return request_error(SocksError::BadDomain, SocksReply::GeneralFailure,
                             "empty SOCKS5 domain name");
      }
      // Check the name bytes as they arrive so a bad name fails before the port is read.
      const std::size_t have = std::min(len, buf.size() - 5);
      for (std::size_t i = 0; i < have; ++i) {
        const unsigned char c = byte_at(buf, 5 + i);
        if (c == 0) {
          return request_error(SocksError::BadDomain, SocksReply::GeneralFailure,
                               "NUL in SOCKS5 domain name");
        }
        if (c < 0x20 || c == 0x7f) {
          return request_error(SocksError::BadDomain, SocksReply::GeneralFailure,
                               "control character in SOCKS5 domain name");
        }
      }
      addr_end = 5 + len;
      if (buf.size() < addr_end + 2) return {};
      a.domain.assign(buf.substr(5, len));
      for (char& c : a.domain) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      break;
    }
    default:
      return request_error(SocksError::BadAddressType, SocksReply::AddressTypeNotSupported,
                           "unknown SOCKS5 address type");
  }
  a.port = static_cast<std::uint16_t>((byte_at(buf, addr_end) << 8) | byte_at(buf, addr_end + 1));
  r.state = SocksState::Done;
  r.consumed = addr_end + 2;
  return r;
}

std::string socks5_method_reply(std::uint8_t method) {
  return std::string{static_cast<char>(5), static_cast<char>(method)};
}

std::string socks5_reply(SocksReply code, const SocksAddress& bound) {
  std::string out{static_cast<char>(5), static_cast<char>(code), static_cast<char>(0)};
  append_address(out, bound);
  return out;
}

std::string socks5_reply(SocksReply code) {
  return socks5_reply(code, SocksAddress{});
}

std::string socks4_reject_reply() {
  return std::string{static_cast<char>(0), static_cast<char>(91), 0, 0, 0, 0, 0, 0};
}

}  // namespace paddock::proxy
