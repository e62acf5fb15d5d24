#pragma once
// The end of a `paddock run`: the process ends with the command's status, and whoever waits for
// it (a shell, an agent) is told at once rather than after the kernel has released paddock's
// memory.

namespace paddock {

// Flushes stdio, closes every descriptor (so locks, pipes and sockets are released before the
// caller learns of the exit, as with a plain exit) and ends the process with `code`. The address
// space (~5 MiB mapped: unmapping it took ~0.2-0.3 ms of the exit, longer than everything else in
// it) is released after that by a helper process that shares it and dies with us. Where no helper
// can be made, or the descriptors cannot be closed first, the process simply exits.
[[noreturn]] void end_process(int code);

}  // namespace paddock
