#include <random>
#include <string>

#include "base/strutil.hpp"
#include "helpers.hpp"

using namespace gw502;

TEST_CASE("string helpers: prefixes, suffixes, paths, thousands", "[base]") {
  CHECK(starts_with("proxy-host-1_error.log", "proxy-host-"));
  CHECK_FALSE(starts_with("pro", "proxy"));
  CHECK(ends_with("error.log.gz", ".gz"));
  CHECK_FALSE(ends_with("gz", ".gz"));
  CHECK(path_basename("/data/logs/x.log") == "x.log");
  CHECK(path_basename("x.log") == "x.log");
  CHECK(path_dirname("/data/logs/x.log") == "/data/logs");
  CHECK(path_dirname("/x.log") == "/");
  CHECK(path_dirname("x.log") == ".");
  CHECK(thousands(0) == "0");
  CHECK(thousands(999) == "999");
  CHECK(thousands(1000) == "1,000");
  CHECK(thousands(1234567) == "1,234,567");
}

TEST_CASE("find_by finds what string_view::find finds, whichever byte it seeks", "[strutil]") {
  CHECK(find_by("connect() failed while reading upstream", " while reading upstream", 1) == 16);
  CHECK(find_by("GET / HTTP/2.0", " HTTP/2", 1) == 5);
  CHECK(find_by("GET / HTTP/1.1", " HTTP/2", 1) == std::string_view::npos);
  CHECK(find_by("", " HTTP/2", 1) == std::string_view::npos);
  CHECK(find_by(std::string_view(), "x", 0) == std::string_view::npos);
  CHECK(find_by("abc", "", 0) == 0);
  CHECK(find_by("ab", "abc", 1) == std::string_view::npos);
  CHECK(find_by("xxabc", "abc", 2) == 2);  // the rare byte at the haystack's very end
  // Random haystacks over a small alphabet: many partial matches.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> pick(0, 3);
  for (int i = 0; i < 2000; ++i) {
    std::string s, p;
    for (int k = 0, n = pick(rng) * 6; k < n; ++k) s += "ab w"[pick(rng)];
    for (int k = 0, n = 1 + pick(rng); k < n; ++k) p += "ab w"[pick(rng)];
    for (size_t rare = 0; rare < p.size(); ++rare) {
      INFO(s << " / " << p << " / " << rare);
      CHECK(find_by(s, p, rare) == std::string_view(s).find(p));
    }
  }
}
