#include "base/find_quote.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace gw502;

namespace {

// What the byte loop it replaced found.
size_t plain(std::string_view s, size_t from) {
  if (from >= s.size()) return from;
  size_t i = from;
  while (i < s.size() && s[i] != '"' && s[i] != '\\') ++i;
  return i;
}

}  // namespace

TEST_CASE("find_quote_or_backslash finds what a byte loop finds, at every offset", "[find_quote]") {
  for (size_t size : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 33u, 70u}) {
    for (char special : {'"', '\\'}) {
      for (size_t at = 0; at <= size; ++at) {
        std::string s(size, 'x');
        if (at < size) s[at] = special;  // at == size: none at all
        for (size_t from = 0; from <= size + 2; ++from) {
          INFO("size " << size << " at " << at << " from " << from);
          REQUIRE(find_quote_or_backslash(s, from) == plain(s, from));
        }
      }
    }
  }
  // Bytes above 0x7f and NUL are neither.
  std::string s = std::string(20, '\xff') + std::string(1, '\0') + "\"";
  CHECK(find_quote_or_backslash(s, 0) == 21);
}
