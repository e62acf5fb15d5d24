#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "walls/host_probe.h"

namespace paddock {

Result<int> doctor_command(bool json) {
  HostReport r = probe_host();
  if (json) {
    nlohmann::json j;
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
