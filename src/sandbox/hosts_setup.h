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

}  // namespace paddock
