#include "sandbox/cpu_placement.h"

namespace paddock {

std::optional<CpuMask> current_cpu_mask() {
  CpuMask m;
  CPU_ZERO(&m.set);
  // Fails (EINVAL) where the kernel's mask is wider than cpu_set_t: nothing is moved then.
  if (::sched_getaffinity(0, sizeof m.set, &m.set) != 0) return std::nullopt;
  return m;
}

std::optional<CpuMask> mask_without(const CpuMask& mask, int cpu) {
  CpuMask out = mask;
  if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_CLR(cpu, &out.set);
  if (CPU_COUNT(&out.set) == 0) return std::nullopt;
  return out;
}

std::optional<CpuMask> cpus_apart(const CpuMask& mask) {
  const int here = ::sched_getcpu();
  if (here < 0) return std::nullopt;
  return mask_without(mask, here);
}

void move_apart(pid_t pid, const CpuMask& apart) {
  // Ignored on failure on purpose: this only decides where the child waits, and the child
  // restores its whole mask whether or not the move happened.
  (void)::sched_setaffinity(pid, sizeof apart.set, &apart.set);
}

Status restore_cpu_mask(const CpuMask& mask) {
  if (::sched_setaffinity(0, sizeof mask.set, &mask.set) != 0)
    return sys_error("sched_setaffinity", "the sandbox's CPU mask (restoring the caller's)");
  return ok_status();
}

}  // namespace paddock
