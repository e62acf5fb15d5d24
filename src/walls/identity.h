#pragma once
// User namespace identity and privileges: uid/gid maps, dropping every capability.
#include <sys/types.h>

#include "base/result.h"

namespace paddock {

// Maps the caller's own uid/gid to the same ids inside (child side, in the new user namespace).
Status write_id_maps(uid_t outer_uid, gid_t outer_gid);

// Empties the bounding, ambient, inheritable, permitted and effective sets and locks securebits
// so that a uid-0 execve cannot regain them.
Status drop_all_capabilities();

// PR_SET_NO_NEW_PRIVS.
Status set_no_new_privs();

}  // namespace paddock
