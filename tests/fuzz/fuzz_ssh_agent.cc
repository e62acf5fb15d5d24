// libFuzzer target: the ssh agent filter (sshagent/agent_protocol.h, agent_filter.h) on bytes
// from either side. The first byte picks the role; the rest is a stream of framed messages.
// Checks: frame_size stays in bounds and a strict prefix of a frame asks for more; a parsed
// request re-encodes to exactly its body; only listing and signing are ever forwarded, and a
// refused sign never reaches the agent; every reply to the sandbox is one well-formed frame;
// an identities answer re-encodes to an answer that parses to the same identities.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sshagent/agent_filter.h"
#include "sshagent/agent_protocol.h"

using namespace paddock::sshagent;
using paddock::fuzz::check;

namespace {

std::string_view body_of(std::string_view framed) {
  auto n = frame_size(framed);
  check(n && *n == framed.size());
  return framed.substr(4);
}

void check_reply(std::string_view framed) {
  std::string_view body = body_of(framed);
  check(!body.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const uint8_t role = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  KeyAllowlist allow;
  if (role & 1) {
    // An allowlist holding one key, so both the open and the limited filter are exercised.
    allow.add_public_keys(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLdc9q7FQYszDvRSzFtilfvZnL4Apd5UvdaZzWb22Vm t\n");
  }
  for (int guard = 0; guard < 64 && !in.empty(); ++guard) {
    auto n = frame_size(in);
    if (!n) break;       // out of step: the relay ends the connection
    if (*n == 0) break;  // incomplete: the relay waits for more
    check(*n >= 5 && *n <= in.size());
    check(frame_size(in.substr(0, *n - 1)) == size_t{0});
    std::string_view body = in.substr(4, *n - 4);
    in.remove_prefix(*n);

    if ((role & 2) == 0) {
      // The sandbox's side.
      auto req = parse_request(body);
      Decision d = decide(body, allow);
      if (!req) {
        check(d.action == Decision::Action::kRefuse);
        continue;
      }
      if (req->kind == Request::Kind::kSign) {
        check(sign_request_message(req->key_blob, req->data, req->flags) == frame(body));
        if (!allow.empty() && !allow.allows(req->key_blob))
          check(d.action == Decision::Action::kRefuse);
      }
      if (req->kind == Request::Kind::kListIdentities)
        check(request_identities_message() == frame(body));
      if (d.action == Decision::Action::kForward) {
        check(req->kind != Request::Kind::kOther);
        check(d.forward == frame(body));
      } else {
        check(req->kind != Request::Kind::kListIdentities);
      }
    } else {
      // The agent's side: answers to a listing and to a sign request.
      std::string list_reply = filter_answer(Request::Kind::kListIdentities, body, allow);
      check_reply(list_reply);
      if (auto ids = parse_identities_answer(body)) {
        auto again = parse_identities_answer(body_of(identities_message(*ids)));
        check(again && again->size() == ids->size());
        auto filtered = parse_identities_answer(body_of(list_reply));
        check(filtered && filtered->size() <= ids->size());
        for (const auto& id : *filtered) check(allow.empty() || allow.allows(id.key_blob));
      }
      std::string sign_reply = filter_answer(Request::Kind::kSign, body, allow);
      check_reply(sign_reply);
      check(valid_sign_answer(body) ? sign_reply == frame(body) : sign_reply == failure_message());
      check(filter_answer(Request::Kind::kOther, body, allow) == failure_message());
    }
  }
  return 0;
}
