// One line through the C API (gw502_classify) in each dialect, on an
// exact-size heap copy (ASan sees any read past the line). Oracles: the
// upstream view lies inside the caller's text; a second call (the message
// cache) gives the same verdict.
#include <cstdint>
#include <initializer_list>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "gw502/gw502.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gw502_classifier* c = [] {
    char err[256];
    gw502_classifier* k = gw502_classifier_new(nullptr, err, sizeof err);
    if (!k) std::abort();
    return k;
  }();
  std::unique_ptr<char[]> line(new char[size ? size : 1]);
  if (size) std::memcpy(line.get(), data, size);
  for (int d : {0, 1, 2, 7}) {
    gw502_result a{}, b{};
    const int ra = gw502_classify(c, static_cast<gw502_dialect>(d), line.get(), size, &a);
    const int rb = gw502_classify(c, static_cast<gw502_dialect>(d), line.get(), size, &b);
    if (ra != rb || (ra > 0 && std::strcmp(a.cause, b.cause) != 0)) std::abort();
    if (ra > 0 && a.upstream_len &&
        (a.upstream < line.get() || a.upstream + a.upstream_len > line.get() + size))
      std::abort();
  }
  return 0;
}
