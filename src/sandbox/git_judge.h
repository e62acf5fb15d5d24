#pragma once
// The judge the mediator asks before it installs a git control file the sandbox wrote (a
// config or a todo list): the strict config parser and allowlist (policy/
// git_config_judge), with remote URLs checked against the network policy — a remote may only
// point where the sandbox itself may connect, or at a repository inside the writable paths, so
// the user's next `git push` on the host cannot carry code past the network wall.
#include <vector>

#include "mediator/context.h"
#include "policy/policy.h"
#include "proxy/decide/domain_rules.h"

namespace paddock {

mediator::GitContentJudge make_git_judge(const Policy& policy, proxy::NetworkRules rules);

}  // namespace paddock
