// The flat reader (decode/json_flat) accepts only valid flat JSON objects,
// and JsonLine answers the same whether a line went through it or through
// simdjson.
#include <string>
#include <vector>

#include "decode/json_flat.hpp"
#include "decode/json_line.hpp"
#include "helpers.hpp"

using namespace gw502;

namespace {

// The reader loads 16 bytes at a time: its input lies in a padded buffer.
struct Padded {
  std::vector<char> buf;
  std::string_view view;
  explicit Padded(std::string_view s) : buf(s.size() + 64, '\0') {
    std::copy(s.begin(), s.end(), buf.begin());
    view = std::string_view(buf.data(), s.size());
  }
};

bool flat(std::string_view s, std::vector<FlatMember>& out) {
  Padded p(s);
  out.assign(48, FlatMember{});
  size_t n = 0;
  const bool ok = read_flat_object(p.view, out.data(), out.size(), n);
  out.resize(ok ? n : 0);  // (their views die with p: only the verdict is used)
  return ok;
}

}  // namespace

TEST_CASE("the flat reader takes flat objects and their values", "[json_flat]") {
  const std::string line =
      R"( {"level":"error", "n":502 ,"neg":-3,"f":0.25,"e":1E+2,"t":true,"z":null,"empty":"","big":18446744073709551615} )";
  Padded p(line);
  FlatMember m[48];
  size_t n = 0;
  REQUIRE(read_flat_object(p.view, m, 48, n));
  REQUIRE(n == 9);
  CHECK(m[0].key == "level");
  CHECK(m[0].kind == FlatMember::Kind::string);
  CHECK(m[0].text == "error");
  CHECK(m[1].number == 502);
  CHECK(m[2].number == -3);
  CHECK(m[3].number == 0.25);
  CHECK(m[4].number == 100);
  CHECK(m[5].kind == FlatMember::Kind::literal);
  CHECK(m[6].text == "null");
  CHECK(m[7].text.empty());
  CHECK(m[8].number == 18446744073709551615.0);
  Padded empty("{}");
  CHECK(read_flat_object(empty.view, m, 48, n));
  CHECK(n == 0);
}

TEST_CASE("the flat reader leaves everything else to the full parser", "[json_flat]") {
  std::vector<FlatMember> out;
  for (std::string_view s : {
           R"({"a":"x\"y"})",            // an escape
           "{\"a\":\"caf\xC3\xA9\"}",    // a byte >= 0x80 (UTF-8 checked by simdjson)
           "{\"a\":\"tab\there\"}",      // a control character in a string
           R"({"a":{"b":1}})",           // nested
           R"({"a":[1]})",               // an array
           R"({"a":1,})",                // a trailing comma
           R"({"a":01})",                // a leading zero
           R"({"a":1.})",                // no digit after the point
           R"({"a":1e400})",             // out of double's range
           R"({"a":tru})",               // not a literal
           R"({"a":true}x)",             // text after the object
           R"({"a" 1})",                 // no colon
           R"({"a":"unterminated)",      // no closing quote
           R"(["a"])",                   // not an object
           "",
       })
    CHECK_FALSE(flat(s, out));
  FlatMember few[2];
  size_t n = 0;
  Padded three(R"({"a":1,"b":2,"c":3})");
  CHECK_FALSE(read_flat_object(three.view, few, 2, n));  // more members than room
}

TEST_CASE("JsonLine answers alike through the flat reader and through simdjson", "[json_flat]") {
  // The same members, once flat and once with a nested object that sends
  // the line to simdjson.
  const std::string members = R"("level":"error","DownstreamStatus":502,"ServiceURL":"http://10.0.0.5:80","a":"first","a":"second","x":1.5e3,"b":false)";
  JsonLine flat_line, full_line;
  REQUIRE(flat_line.parse("{" + members + "}"));
  REQUIRE(full_line.parse("{" + members + R"(,"o":{"k":"v"}})"));
  for (JsonLine* j : {&flat_line, &full_line}) {
    CHECK(j->str("level") == "error");
    CHECK(j->str("a") == "first");  // the first of equal keys
    CHECK(j->str("DownstreamStatus").empty());  // a number is not a string
    double d = 0;
    CHECK(j->num("DownstreamStatus", d));
    CHECK(d == 502);
    CHECK(j->num("x", d));
    CHECK(d == 1500);
    CHECK_FALSE(j->num("level", d));
    int s = 0;
    CHECK(j->int_num("DownstreamStatus", s));
    CHECK(s == 502);
    CHECK(j->has("b"));
    CHECK_FALSE(j->has("missing"));
    CHECK(j->str("missing").empty());
    CHECK_FALSE(j->is_object("ServiceURL"));
    CHECK(j->str("ServiceURL", "Host").empty());
  }
  CHECK(full_line.is_object("o"));
  CHECK(full_line.str("o", "k") == "v");
  CHECK_FALSE(flat_line.has("o"));
  // An invalid line is refused on both paths.
  CHECK_FALSE(flat_line.parse(R"({"a":1,})"));
  CHECK_FALSE(flat_line.has("a"));
}
