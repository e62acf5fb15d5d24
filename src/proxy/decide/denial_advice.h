#pragma once
// What the user could do about a refused destination, for the exit summary: the exact flag that
// would allow it, or why no flag is offered. An agent that is told which flag to add reruns with
// it; one told only "denied" tends to rerun without the sandbox.
#include <string>

#include "proxy/decide/denial_tally.h"

namespace paddock::proxy {

// Empty when nothing should be suggested (a deniedDomains rule: the user said no; a malformed
// request or an SNI mismatch: no flag makes it legitimate).
std::string denial_advice(const DenialSummary& d);

}  // namespace paddock::proxy
