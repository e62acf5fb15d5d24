#pragma once
// Fields of /proc/PID/stat, whose second field (the command name, in parentheses) may hold
// spaces and ')': fields are counted after its last ')'.
#include <cstdint>
#include <optional>
#include <string_view>

namespace paddock {

// Field `n` (1-based, as proc(5) numbers them; n >= 3) as an unsigned number; nullopt when
// the text has no such field or it is not one (a negative session or pgrp is refused too).
std::optional<uint64_t> proc_stat_field(std::string_view stat_text, int n);

}  // namespace paddock
