#pragma once
// Glob patterns in filesystem paths (srt's settings allow `~/proj/*.env`). srt on Linux drops
// them silently; paddock expands them when it starts, where that is sound, and refuses them
// (exit 125) where it is not:
//  - denyRead and allowRead: expanded against the host tree at start-up. Each pattern component
//    lists one directory; a file created after start-up that would match is not covered (the
//    sandbox's own files it may read anyway).
//  - allowWrite, denyWrite, allowUnixSockets: refused. A write rule must hold for names that do
//    not exist yet; filesystem.protectedNames takes `*` in a component for that.
//  - `**` (any depth) is refused everywhere: it would mean a scan of the tree at every start.
// `*` and `?` match any character but '/', leading dots included (`*.env` matches `.env`);
// `[...]` is a set; a backslash makes the next character literal.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "policy/host_fs.h"

namespace paddock {

// Does the path contain an unescaped '*', '?' or '['?
bool has_glob(std::string_view path);

// The existing host paths an absolute pattern matches, sorted. Errors name `key` and the raw
// pattern: `**`, or more than `limit` matches.
Result<std::vector<std::string>> expand_glob(const std::string& abs_pattern, const HostFs& fs,
                                             const char* key, std::string_view raw,
                                             size_t limit = 10000);

}  // namespace paddock
