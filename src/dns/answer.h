#pragma once
// What the sandbox's resolver answers (pure apart from the table it assigns addresses in):
//
//   a name the policy allows   A: its address from the fake range (fake_ips.h), TTL kTtl
//                              AAAA and every other type: NOERROR with no records, so clients
//                              use the IPv4 answer (a v6 socket reaches it v4-mapped)
//   a name it does not allow   NXDOMAIN, whatever the type (the judge records the denial)
//   the root, a class not IN   NOERROR, no records; the policy is not asked
//   not a query we take        FORMERR / NOTIMP; a response or a runt is dropped
//
// Nothing is ever forwarded: the answer depends on the policy alone, so a lookup of
// <secret>.attacker.example tells nobody outside anything.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "dns/fake_ips.h"
#include "dns/message.h"

namespace paddock::dns {

inline constexpr uint32_t kTtl = 60;

// The policy's word on a name as the query spelled it: the normalised name when allowed, nullopt
// when not (the judge reports the denial itself).
using NameJudge = std::function<std::optional<std::string>(std::string_view name, uint16_t qtype)>;

// The answer to the query in `msg`, or nullopt when no answer is due.
std::optional<std::string> answer_query(std::string_view msg, const NameJudge& judge,
                                        FakeIpTable& table);

}  // namespace paddock::dns
