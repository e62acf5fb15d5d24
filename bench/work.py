"""Figure 4: work inside the sandbox — a compile and a tree walk, against bare and bubblewrap.

  compile    g++ -std=c++17 -pipe -c regex_unit.cc -o /dev/null   (a file that includes <regex>)
  tree walk  find /usr -type f                                       (output to /dev/null)

Each run is one whole `paddock run -- ...` (start-up included, a few ms against a second or so of
work); the project directory holding the source is the current directory.
"""

import os

from common import CACHE, Case, measure_interleaved, ratio_rows

SOURCE = """#include <regex>
#include <string>

bool is_identifier(const std::string& s) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(s, re);
}
"""

# (title, argv, exit statuses that count as success). find exits 1 inside a user namespace,
# where root cannot enter root's 0700 directories (/usr/share/polkit-1/rules.d); it still walks
# the rest.
WORKLOADS = (
    ("compile: g++ -c of a file including <regex>",
     ["g++", "-std=c++17", "-pipe", "-c", "regex_unit.cc", "-o", "/dev/null"], (0,)),
    ("tree walk: find /usr -type f", ["find", "/usr", "-type", "f"], (0, 1)),
)


def figure_work(sbs, runs, warmup, log):
    cwd = os.path.join(CACHE, "work")
    os.makedirs(cwd, exist_ok=True)
    with open(os.path.join(cwd, "regex_unit.cc"), "w") as f:
        f.write(SOURCE)
    blocks, data = [], {}
    for title, argv, ok in WORKLOADS:
        cases = []
        for key in ("paddock", "bare", "bwrap"):
            sb = sbs[key]
            c = Case(f"{sb.label} {' '.join(argv[:1])}" if key != "bare" else f"bare {argv[0]}",
                     key, sb.wrap(argv), cwd=cwd, env=sb.env, ok=ok)
            c.skip = sb.skip and f"{key} cannot run (see Skipped)"
            cases.append(c)
        log(f"figure 4: {title} ({runs} runs after {warmup} warm-up)")
        measure_interleaved(cases, runs, warmup)
        rows = ratio_rows(cases)
        blocks.append({"title": f"{title} (ms)", "ratio_label": "paddock/this", "rows": rows})
        data[title] = {c.sandbox: c.result() for c in cases}
    return {"title": "4. Work inside", "blocks": blocks, "data": data}
