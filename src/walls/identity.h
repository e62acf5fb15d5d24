#pragma once
// User namespace identity and privileges: uid/gid maps, dropping every capability.
#include <sys/types.h>

#include <optional>
#include <string_view>

#include "base/result.h"

namespace paddock {

// Maps `outer_uid`/`outer_gid` (the caller's own) to the same ids inside the user namespace of
// the child `pidfd` refers to, which the caller cloned with a new one (written from the parent
// namespace, as the namespace's owner: the child goes on meanwhile with what needs no ids).
// The child's /proc directory is named by the number its pidfd has in the pid namespace of
// /proc as mounted: a /proc of another pid namespace (`unshare -p` without a new /proc) would
// otherwise name another process.
Status write_id_maps(int pidfd, uid_t outer_uid, gid_t outer_gid);

// Pure: the "Pid:" field of a pidfd's /proc/self/fdinfo text; none when absent, or when the
// process is not in /proc's pid namespace or gone (0 or -1 there).
std::optional<pid_t> pidfd_info_pid(std::string_view fdinfo);

// Empties the bounding, ambient, inheritable, permitted and effective sets and locks securebits
// so that a uid-0 execve cannot regain them.
Status drop_all_capabilities();

// PR_SET_NO_NEW_PRIVS.
Status set_no_new_privs();

}  // namespace paddock
