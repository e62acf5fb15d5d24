#pragma once
// Reads the host's /etc/hosts for the sandbox's view (policy/hosts_file.h decides the text).
#include <string>
#include <vector>

#include "walls/mount_view.h"

namespace paddock {

// The sandbox's /etc/hosts: where the view shows the host's (a symlinked /etc/hosts is covered
// where it leads) and what it holds. Left alone (x untouched) when unreadable, larger than
// 1 MiB, or beneath a denied path.
void plan_hosts(const std::vector<std::string>& deny_read, ViewExtras& x);

// The sandbox's /etc/resolv.conf: names only the sandbox's own resolver (127.0.0.1, served by
// the supervisor: dns/server.h), covering the host's file where /etc/resolv.conf leads. When it
// leads beneath /run (systemd-resolved's stub-resolv.conf), which the view shows empty, the path
// is added to `view_files` so the plan makes a file there to cover. Left alone when the host has
// none (resolvers then ask 127.0.0.1 anyway) or it is beneath a denied path.
void plan_resolv(const std::vector<std::string>& deny_read, ViewExtras& x,
                 std::vector<std::string>& view_files);

// The text of the sandbox's resolv.conf.
std::string sandbox_resolv_conf();

}  // namespace paddock
