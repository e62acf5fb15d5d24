#include "dns/answer.h"

namespace paddock::dns {

std::optional<std::string> answer_query(std::string_view msg, const NameJudge& judge,
                                        FakeIpTable& table) {
  const ParsedQuery p = parse_query(msg);
  const Question& q = p.question;
  switch (p.outcome) {
    case ParseOutcome::Drop:
      return std::nullopt;
    case ParseOutcome::NotImp:
      return encode_error(q.id, q.flags, Rcode::NotImp);
    case ParseOutcome::FormErr:
      return encode_error(q.id, q.flags, Rcode::FormErr);
    case ParseOutcome::Ok:
      break;
  }
  if (q.qclass != kClassIn || q.name.empty()) return encode_answer(q, Rcode::NoError);
  const std::optional<std::string> name = judge(q.name, q.qtype);
  if (!name) return encode_answer(q, Rcode::NxDomain);
  if (q.qtype != uint16_t(RecordType::A)) return encode_answer(q, Rcode::NoError);
  const std::optional<uint32_t> a = table.address_for(*name);
  if (!a) return encode_answer(q, Rcode::ServFail);
  return encode_answer(q, Rcode::NoError, a, kTtl);
}

}  // namespace paddock::dns
