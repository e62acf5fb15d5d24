#pragma once
// Where the sandbox side runs while the supervisor plans. The two are meant to run at the same
// time (launcher.h), but Linux puts a freshly cloned child on its parent's CPU and, while the
// parent keeps running, may leave it queued there for a scheduler tick (1-4 ms) with another CPU
// idle: on a 2-vCPU KVM guest the sandbox side first ran 0.9-1.6 ms after clone() in most runs,
// and start-up took 1.2 ms longer than with the child moved. So the supervisor, right after
// clone(), lets the child use every CPU of its mask but the one the supervisor is on, and the
// child takes the whole mask back once a message from the supervisor proves the move is behind
// it, before anything it starts could inherit the narrower mask.
#include <sched.h>
#include <sys/types.h>

#include <optional>

#include "base/result.h"

namespace paddock {

// The CPUs this process may use, when the kernel tells (cpu_set_t holds 1024).
struct CpuMask {
  cpu_set_t set;
};
std::optional<CpuMask> current_cpu_mask();

// Pure: `mask` without `cpu`; none when nothing would be left.
std::optional<CpuMask> mask_without(const CpuMask& mask, int cpu);

// Supervisor, right after clone(): `child` may run on every CPU of `mask` but ours. A hint:
// when the kernel refuses (a cpuset changed meanwhile), the child stays where the kernel put it.
void move_child_apart(pid_t child, const CpuMask& mask);

// Sandbox side, after the first message from the supervisor: its CPU mask is `mask` again.
Status restore_cpu_mask(const CpuMask& mask);

}  // namespace paddock
