// D13: classifiers of one catalogue share what is compiled (RE2 sets and
// rules, the prefilters' databases); each thread keeps only its scratch.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "classify/classifier.hpp"
#include "helpers.hpp"
#include "scan/pipeline.hpp"

using namespace gw502;

namespace {
Catalogue with_user_rules(int n) {
  std::string json = "{\"rules\":[";
  for (int i = 0; i < n; ++i) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "%s{\"id\":\"u.r%d\",\"cause\":\"connection_refused\",\"regex\":\"uniqueword%06d "
                  "(?P<upstream>\\\\S+)\",\"literal\":\"uniqueword%06d\"}",
                  i ? "," : "", i, i, i);
    json += buf;
  }
  json += "]}";
  Catalogue cat;
  std::string err;
  for (size_t i = 0; i < kEmbeddedCatalogueCount; ++i)
    REQUIRE(cat.add_json(kEmbeddedCatalogue[i].name, kEmbeddedCatalogue[i].text, false, err));
  REQUIRE(cat.add_json("user.json", json, true, err));
  REQUIRE(cat.finish(err));
  return cat;
}
}  // namespace

TEST_CASE("shared classifiers give the same verdicts from many threads at once", "[classifier][D13]") {
  Catalogue cat = with_user_rules(50);
  Classifier first(cat);
  REQUIRE(first.ok());
  const std::string buf = test::refused_line() + "\nnoise\n2024/01/15 10:23:45 [error] 1#1: uniqueword000042 10.9.9.9:80\n";
  const std::vector<size_t> want = first.candidates(buf);
  const int want_rule = first.classify(LogFamily::nginx, false, "uniqueword000042 10.9.9.9:80");
  REQUIRE(want_rule >= 0);
  CHECK(first.capture_upstream(want_rule, "uniqueword000042 10.9.9.9:80") == "10.9.9.9:80");
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      Classifier c(first, Classifier::share);
      if (!c.ok()) ++bad;
      for (int i = 0; i < 2000; ++i) {
        if (c.candidates(buf) != want) ++bad;
        std::string msg = "uniqueword" + std::string(6 - std::to_string(i % 50).size(), '0') + std::to_string(i % 50) + " x";
        if (c.classify(LogFamily::nginx, false, msg) < 0) ++bad;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
}

TEST_CASE("start-up with -j8 costs about one compilation of the catalogue, not eight", "[classifier][D13]") {
  Catalogue cat = with_user_rules(2000);
  auto time_of = [&](unsigned threads) {
    auto t0 = std::chrono::steady_clock::now();
    Pipeline p(cat, threads, ScanOptions{});
    REQUIRE(p.ok());
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const double one = time_of(1), eight = time_of(8);
  INFO("-j1 " << one << " s, -j8 " << eight << " s");
  CHECK(eight < 2.5 * one + 0.05);  // before: 8 compilations on the machine's cores
}
