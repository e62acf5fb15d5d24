#pragma once
// Where the sandbox side runs while the supervisor plans. The two are meant to run at the same
// time (launcher.h), but Linux often puts a freshly cloned child on its parent's CPU with another
// CPU idle. Two things then go wrong on a 2-vCPU KVM guest: while the parent keeps running, the
// child may stay queued there for a scheduler tick (1-4 ms; start-up took 1.2 ms longer than with
// the child moved); or the child preempts its parent at once and keeps the CPU through its
// namespaces (traced on Linux 6.18: in 3 runs of 4 the supervisor got back from clone() 0.78 ms
// after calling it, against 0.15 ms when the child started elsewhere). So the CPUs of the mask
// but the supervisor's are computed before clone(); the child moves itself there first thing,
// the supervisor moves it there right after clone() (for a child not yet run), and the child
// takes the whole mask back once a message from the supervisor proves both moves are behind it,
// before anything it starts could inherit the narrower mask.
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

// Supervisor, before clone(): every CPU of `mask` but the one we run on; none when that leaves
// nothing (one CPU) or the kernel does not say where we run.
std::optional<CpuMask> cpus_apart(const CpuMask& mask);

// `pid` (0: the calling process) may run on `apart` only. A hint: when the kernel refuses (a
// cpuset changed meanwhile), the process stays where the kernel put it.
void move_apart(pid_t pid, const CpuMask& apart);

// Sandbox side, after the first message from the supervisor: its CPU mask is `mask` again.
Status restore_cpu_mask(const CpuMask& mask);

}  // namespace paddock
