#include "proxy/decide/denial_advice.h"

namespace paddock::proxy {

namespace {

// A flag value the shell passes through unchanged: names of hosts and bracketed IPv6 literals
// only; anything else (a raw host the parser rejected) gets no suggestion.
bool plain_host(const std::string& h) {
  if (h.empty() || h.size() > 260) return false;
  for (char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string denial_advice(const DenialSummary& d) {
  if (!plain_host(d.host)) return {};
  if (d.rule == "default-deny") {
    // The port too: the narrowest rule that allows exactly what was refused.
    const std::string target = d.port ? d.host + ":" + std::to_string(d.port) : d.host;
    return "--allow-domain " + target + " allows it";
  }
  if (d.rule == "resolved-address")
    return "--resolve " + d.host +
           "=ADDRESS pins it, or network.allowPrivateAddresses lets "
           "allowed names reach private addresses";
  return {};
}

}  // namespace paddock::proxy
