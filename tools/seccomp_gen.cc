// Build step: compiles the sandbox's seccomp policy with libseccomp and writes it as a C++
// source file, so paddock installs a ready program instead of compiling it on every start.
// Usage: seccomp_gen OUTPUT.cc
#include <cstdio>
#include <string>

#include "filtergen/seccomp_compiler.h"
#include "policy/seccomp_policy.h"

namespace {

int generate(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: seccomp_gen OUTPUT.cc\n");
    return 2;
  }
  auto prog = paddock::compile_seccomp(paddock::sandbox_seccomp_policy(/*mediate_writes=*/true));
  if (!prog) {
    std::fprintf(stderr, "seccomp_gen: %s\n", prog.error().message().c_str());
    return 1;
  }
  std::string out =
      "// Generated at build time by tools/seccomp_gen.cc from policy/seccomp_policy.cc.\n"
      "#include \"walls/seccomp.h\"\n\n"
      "namespace paddock {\n\nnamespace {\n\nconstexpr sock_filter kProgram[] = {\n";
  char line[80];
  for (const sock_filter& f : prog->code) {
    std::snprintf(line, sizeof line, "    {0x%04x, %u, %u, 0x%08x},\n", unsigned(f.code),
                  unsigned(f.jt), unsigned(f.jf), unsigned(f.k));
    out += line;
  }
  out +=
      "};\n\n}  // namespace\n\nstd::span<const sock_filter> sandbox_seccomp_program() { return "
      "kProgram; }\n\n}  // namespace paddock\n";
  std::string tmp = std::string(argv[1]) + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "we");
  if (f == nullptr) {
    std::perror(("seccomp_gen: open " + tmp).c_str());
    return 1;
  }
  bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), argv[1]) != 0) {
    std::perror(("seccomp_gen: write " + std::string(argv[1])).c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return generate(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seccomp_gen: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "seccomp_gen: unknown error\n");
  }
  return 1;
}
