// The catalogue loader: the embedded catalogue plus a mutated user file
// (Catalogue::add_json, finish), then a Classifier on the result and one
// classification per family. Errors are fine; crashes, UB and leaks are not.
#include <cstdint>
#include <string>

#include "catalogue/catalogue.hpp"
#include "classify/classifier.hpp"

using namespace gw502;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 << 10) return 0;  // RE2 compiles dominate; big files add nothing
  std::string json(reinterpret_cast<const char*>(data), size);
  Catalogue cat;
  std::string err;
  for (size_t i = 0; i < kEmbeddedCatalogueCount; ++i)
    if (!cat.add_json(kEmbeddedCatalogue[i].name, kEmbeddedCatalogue[i].text, false, err)) __builtin_trap();
  if (!cat.add_json("fuzz.json", json, true, err) || !cat.finish(err)) return 0;
  Classifier cls(cat);
  if (!cls.ok()) return 0;
  Classifier other(cls, Classifier::share);
  for (unsigned f = 0; f < kLogFamilies; ++f) {
    int r = other.classify(static_cast<LogFamily>(f), false, json);
    if (r >= 0) other.capture_upstream(r, json);
  }
  other.candidates(json);
  return 0;
}
