#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "policy/fs_policy.h"
#include "walls/host_probe.h"

namespace paddock {

namespace {

// Inside a sandbox, the probes describe the sandbox (no namespaces, no mounts: seccomp refuses
// them), which reads like a broken host. The marker variable can be unset by the command, so
// paddock's own binary at its fixed place counts too.
bool inside_sandbox() {
  const char* marker = std::getenv("PADDOCK_SANDBOX");
  if (marker != nullptr && std::strcmp(marker, "1") == 0) return true;
  char comm[32] = {};
  FILE* f = std::fopen("/proc/1/comm", "re");
  if (f == nullptr) return false;
  bool paddock_init =
      std::fgets(comm, sizeof comm, f) != nullptr && std::strncmp(comm, "paddock", 7) == 0;
  std::fclose(f);
  return paddock_init && ::access(kSelfInSandbox, X_OK) == 0;
}

}  // namespace

Result<int> doctor_command(bool json) {
  const bool inside = inside_sandbox();
  if (inside && !json)
    std::printf(
        "note: running inside a paddock sandbox: the checks below describe the sandbox (where "
        "namespaces and mounts are refused on purpose), not the host; run `paddock doctor` "
        "outside for the host\n");
  HostReport r = probe_host();
  if (json) {
    nlohmann::json j;
    j["inside_sandbox"] = inside;
    j["kernel"] = r.kernel;
    j["can_run"] = r.can_run;
    for (const auto& i : r.items)
      j["checks"].push_back({{"name", i.name}, {"ok", i.ok}, {"detail", i.detail}, {"fix", i.fix}});
    std::printf("%s\n", j.dump(2).c_str());
    return r.can_run ? 0 : 1;
  }
  std::printf("kernel: %s\n", r.kernel.c_str());
  for (const auto& i : r.items) {
    std::printf("%-4s %s: %s\n", i.ok ? "ok" : "FAIL", i.name.c_str(), i.detail.c_str());
    if (!i.ok) std::printf("     fix: %s\n", i.fix.c_str());
  }
  if (r.can_run)
    std::printf(
        "paddock run: every wall can be built here (namespaces, read-only view, Landlock, "
        "seccomp with write mediation, no network)\n");
  else
    std::printf("paddock run: refuses to run here (exit 125) until the failures above are fixed\n");
  return r.can_run ? 0 : 1;
}

}  // namespace paddock
