// libFuzzer target: SOCKS5 greeting then request, as a client would send them back to back.
// Checks: consumed stays in bounds, a strict prefix of a complete message asks for more, and a
// reply built from a parsed address carries the same address.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "proxy/parse/socks5.h"

using namespace paddock::proxy;
using paddock::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  const SocksGreetingResult g = parse_socks5_greeting(in);
  std::string_view rest = in;
  if (g.state == SocksState::Done) {
    check(g.consumed >= 3 && g.consumed <= size);
    check(g.greeting.methods.size() == g.consumed - 2);
    check(parse_socks5_greeting(in.substr(0, g.consumed - 1)).state == SocksState::NeedMore);
    rest = in.substr(g.consumed);
  } else if (g.state == SocksState::Error) {
    check(g.error != SocksError::None && !g.reason.empty());
  }

  const SocksRequestResult r = parse_socks5_request(rest);
  if (r.state == SocksState::Error) {
    check(r.error != SocksError::None && !r.reason.empty());
    const std::string reply = socks5_reply(r.reply);
    check(reply.size() == 10);
  }
  if (r.state != SocksState::Done) return 0;
  check(r.consumed >= 8 && r.consumed <= rest.size());  // 8: a one-byte domain
  check(parse_socks5_request(rest.substr(0, r.consumed - 1)).state == SocksState::NeedMore);
  const SocksAddress& a = r.request.address;
  check(!a.host().empty());
  if (a.type == SocksAddressType::Domain) {
    check(!a.domain.empty() && a.domain.size() <= 255);
    check(a.domain.find('\0') == std::string::npos);
  }

  // A reply has the request's shape; what we build must parse back to the same address.
  const std::string reply = socks5_reply(SocksReply::Succeeded, a);
  std::string as_request = reply;
  as_request[1] = 1;  // REP 0 -> CMD CONNECT
  const SocksRequestResult back = parse_socks5_request(as_request);
  check(back.state == SocksState::Done && back.consumed == reply.size());
  check(back.request.address.type == a.type && back.request.address.port == a.port);
  check(back.request.address.host() == a.host());
  return 0;
}
