#pragma once
// The sandbox's /etc/hosts: the host's, with a line naming the sandbox's hostname when no line
// does, so `hostname -f` and gethostbyname(gethostname()) work inside (the sandbox has its own
// UTS namespace and name, which the host's file does not know).
#include <string>
#include <string_view>

namespace paddock {

// Is `name` (case-insensitive) one of the names of an entry in hosts(5) text?
bool hosts_names(std::string_view hosts, std::string_view name);

// `host_hosts` unchanged when it names `hostname` already; else with "127.0.1.1 <hostname>"
// appended (on a line of its own).
std::string hosts_with_hostname(std::string_view host_hosts, std::string_view hostname);

}  // namespace paddock
