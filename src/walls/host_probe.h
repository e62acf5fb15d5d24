#pragma once
// What this host's kernel offers, for `paddock doctor` and for failing early with a useful hint.
#include <string>
#include <vector>

namespace paddock {

struct ProbeItem {
  std::string name;  // "user namespaces"
  bool ok = false;
  std::string detail;  // what was found
  std::string fix;     // how to enable it, when !ok
};

struct HostReport {
  std::string kernel;
  std::vector<ProbeItem> items;
  bool can_run = false;  // every wall paddock needs is available
};

HostReport probe_host();

}  // namespace paddock
