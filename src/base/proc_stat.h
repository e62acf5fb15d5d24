#pragma once
// Fields of /proc/PID/stat, whose second field (the command name, in parentheses) may hold
// spaces and ')': fields are counted after its last ')'.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paddock {

// Field `n` (1-based, as proc(5) numbers them; n >= 3) as an unsigned number; nullopt when
// the text has no such field or it is not one (a negative session or pgrp is refused too).
std::optional<uint64_t> proc_stat_field(std::string_view stat_text, int n);

// The text of the /proc/PID/stat file at `path`; none when it cannot be read (the process is
// gone). One read: the file is made whole by the kernel at open.
std::optional<std::string> read_proc_stat(const std::string& path);

}  // namespace paddock
