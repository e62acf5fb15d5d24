// libFuzzer target: parse_settings must never crash, hang or leak on any bytes.
// Seeds: tests/fuzz/corpus/settings/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "settings/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  paddock::Result<paddock::Settings> r = paddock::parse_settings(text, "fuzz.json");
  if (r.ok()) {
    // Every note is one line; a parsed file has no source path of its own.
    for (const std::string& note : r->notes) {
      if (note.find('\n') != std::string::npos) __builtin_trap();
    }
    if (!r->source_path.empty()) __builtin_trap();
  } else {
    const std::string m = r.error().message();
    // Messages are one printable line however hostile the input.
    for (char c : m) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) __builtin_trap();
    }
    if (m.size() > 2000) __builtin_trap();
  }
  return 0;
}
