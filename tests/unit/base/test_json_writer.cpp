#include <cstdint>
#include <string>

#include "base/json_writer.hpp"
#include "helpers.hpp"

using namespace gw502;

namespace {
std::string js(std::string_view s) {
  std::string out;
  json_string(out, s);
  return out;
}
std::string num(int64_t v) {
  std::string out = "x";
  json_number(out, v);
  return out;
}
}  // namespace

TEST_CASE("json strings: plain runs as they are, every special byte escaped between them", "[json_writer]") {
  CHECK(js("") == "\"\"");
  CHECK(js("upstream: \"http://10.0.0.5:80/\"") == "\"upstream: \\\"http://10.0.0.5:80/\\\"\"");
  CHECK(js("a\\b") == "\"a\\\\b\"");
  CHECK(js("\n") == "\"\\n\"");
  CHECK(js("tab\there\r\n") == "\"tab\\there\\r\\n\"");
  CHECK(js(std::string("nul\0byte", 8)) == "\"nul\\u0000byte\"");
  CHECK(js("del\x7f") == "\"del\\u007f\"");
  CHECK(js("caf\xc3\xa9 ok") == "\"caf\xc3\xa9 ok\"");  // valid UTF-8 kept
  CHECK(js("bad \xff byte") == "\"bad \\ufffd byte\"");  // invalid: replaced
  CHECK(js("cut \xc3") == "\"cut \\ufffd\"");             // a sequence cut at the end
  const std::string long_run(1000, 'x');
  CHECK(js(long_run + "\"" + long_run) == "\"" + long_run + "\\\"" + long_run + "\"");
}

TEST_CASE("json numbers are appended in decimal, whole range", "[json_writer]") {
  CHECK(num(0) == "x0");
  CHECK(num(-7) == "x-7");
  CHECK(num(1793524973) == "x1793524973");
  CHECK(num(INT64_MAX) == "x9223372036854775807");
  CHECK(num(INT64_MIN) == "x-9223372036854775808");
}
