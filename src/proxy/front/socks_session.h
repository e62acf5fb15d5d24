#pragma once
// The SOCKS5 front end (listener 127.0.0.1:1080 inside the sandbox; RFC 1928).
//
// No authentication (method 0x00) only; a client that does not offer it gets 0xFF. CONNECT only,
// with a domain name, IPv4 or IPv6 (decide() allows IP literals only through IP-literal rules);
// BIND and UDP ASSOCIATE are answered 0x07 (command not supported). A SOCKS4 client gets the
// SOCKS4 rejection (91), which it can read. A denial is 0x02; a failed dial 0x03/0x04/0x05 by
// errno (name resolution failures 0x04). The success reply names 0.0.0.0:0 as the bound address
// (the host's own address is none of the sandbox's business). The tunnel then goes through the
// same first-bytes check as CONNECT (tunnel.cc).
#include <memory>

#include "proxy/front/proxy_session.h"

namespace paddock::proxy {

std::unique_ptr<ProxySession> make_socks_session(Worker& worker, uint64_t id, UniqueFd client);

class SocksSession final : public ProxySession {
 public:
  SocksSession(Worker& worker, uint64_t id, UniqueFd client);

 private:
  void handshake() override;
  void on_connected() override;
  void on_dial_failed(int err, const std::string& why) override;
  void on_denied(const std::string& rule, const std::string& reason) override;

  bool greeted_ = false;  // the method reply went out; the request is next
};

}  // namespace paddock::proxy
