#pragma once
// User namespace identity and privileges: uid/gid maps, dropping every capability.
#include <sys/types.h>

#include "base/result.h"

namespace paddock {

// Maps `outer_uid`/`outer_gid` (the caller's own) to the same ids inside the user namespace of
// `pid`, a child the caller cloned with a new one (written from the parent namespace, as the
// namespace's owner: the child goes on meanwhile with what needs no ids).
Status write_id_maps(pid_t pid, uid_t outer_uid, gid_t outer_gid);

// Empties the bounding, ambient, inheritable, permitted and effective sets and locks securebits
// so that a uid-0 execve cannot regain them.
Status drop_all_capabilities();

// PR_SET_NO_NEW_PRIVS.
Status set_no_new_privs();

}  // namespace paddock
