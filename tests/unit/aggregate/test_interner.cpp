#include <string>
#include <vector>

#include "aggregate/interner.hpp"
#include "helpers.hpp"

using namespace gw502;

TEST_CASE("interned strings get ids in the order first seen, and keep their text", "[interner]") {
  Interner in;
  CHECK(in.find("a.example") == Interner::kNone);
  CHECK(in.intern("a.example") == 0);
  CHECK(in.intern("") == 1);
  CHECK(in.intern("10.0.0.5:80") == 2);
  CHECK(in.intern("a.example") == 0);
  CHECK(in.find("") == 1);
  CHECK(in.str(0) == "a.example");
  CHECK(in.str(1).empty());
  CHECK(in.size() == 3);
}

TEST_CASE("views stay valid while the table grows, long strings included", "[interner]") {
  Interner in;
  std::vector<std::string> texts;
  for (int i = 0; i < 20000; ++i) texts.push_back("host-" + std::to_string(i) + ".example.net");
  texts.push_back(std::string(40000, 'x'));  // a block of its own
  texts.push_back(std::string(70000, 'y'));
  std::vector<std::string_view> first;
  for (const auto& t : texts) {
    const uint32_t id = in.intern(t);
    REQUIRE(id == first.size());
    first.push_back(in.str(id));
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    CHECK(in.find(texts[i]) == i);
    CHECK(first[i] == texts[i]);  // the first view still reads the same text
  }
}

TEST_CASE("swap and clear", "[interner]") {
  Interner a, b;
  a.intern("one");
  b.intern("two");
  b.intern("three");
  a.swap(b);
  CHECK(a.size() == 2);
  CHECK(a.find("three") == 1);
  CHECK(b.find("one") == 0);
  a.clear();
  CHECK(a.size() == 0);
  CHECK(a.find("two") == Interner::kNone);
  CHECK(a.intern("two") == 0);
}
