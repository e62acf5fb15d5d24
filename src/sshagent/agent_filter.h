#pragma once
// What paddock's agent filter does with each request from the sandbox (pure). It answers
// identity listing and signing only: adding, removing, locking, unlocking, smartcard and
// extension requests (session-bind@openssh.com and query included) never reach the user's
// agent and get SSH_AGENT_FAILURE. With an allowlist of keys, the listing shows only those and
// a sign request for any other key is refused without asking the agent.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sshagent/agent_protocol.h"

namespace paddock::sshagent {

// --ssh-agent-key values: "SHA256:<base64>" as ssh-keygen -l and ssh-add -l print them, or a
// public key ("ssh-ed25519 AAAA... comment", as in a .pub file).
class KeyAllowlist {
 public:
  bool empty() const { return fingerprints_.empty() && blobs_.empty(); }
  bool allows(std::string_view key_blob) const;
  // Adds one "SHA256:..." fingerprint; false when it is not one.
  bool add_fingerprint(std::string_view fp);
  // Adds the keys of .pub / authorized_keys text (lines "type base64 [comment]"); the number
  // added (0: none found).
  size_t add_public_keys(std::string_view text);

 private:
  std::vector<std::string> fingerprints_;  // the 43 base64 characters after "SHA256:"
  std::vector<std::string> blobs_;
};

// "SHA256:..." for a key blob, as ssh-keygen -l prints it.
std::string fingerprint(std::string_view key_blob);

struct Decision {
  enum class Action {
    kRefuse,   // answer SSH_AGENT_FAILURE, ask the agent nothing
    kForward,  // send `forward` to the agent; filter its answer with filter_answer()
  } action = Action::kRefuse;
  std::string forward;  // a framed request, re-encoded from what was parsed
  Request::Kind kind = Request::Kind::kOther;
};

// `body`: one message body from the sandbox (frame_size() found it whole).
Decision decide(std::string_view body, const KeyAllowlist& allow);

// The framed reply for the sandbox, given the agent's answer body to a forwarded request of
// `kind`: identities filtered by `allow`; a sign answer passed on when it is well formed;
// SSH_AGENT_FAILURE for anything malformed.
std::string filter_answer(Request::Kind kind, std::string_view agent_body,
                          const KeyAllowlist& allow);

}  // namespace paddock::sshagent
