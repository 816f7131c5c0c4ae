#include <catch2/catch.hpp>

#include "base/html_escape.hpp"

using gw502::html_escaped;

TEST_CASE("html_escape: markup characters become references", "[base]") {
  CHECK(html_escaped("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  CHECK(html_escaped("a=\"1\" & b") == "a=&quot;1&quot; &amp; b");
  CHECK(html_escaped("&amp;") == "&amp;amp;");
  CHECK(html_escaped("plain text: 10.0.0.1:80/path?q=1") == "plain text: 10.0.0.1:80/path?q=1");
}

TEST_CASE("html_escape: valid UTF-8 out, no controls, no bidi overrides", "[base]") {
  CHECK(html_escaped("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80");
  CHECK(html_escaped("bad\xff\xc0\xaf" "end") == "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "end");
  CHECK(html_escaped("a\x1b[31mb\x07\x7f") == "a?[31mb??");
  CHECK(html_escaped("tab\there\nline") == "tab\there\nline");
  CHECK(html_escaped(std::string("nul\0x", 5)) == "nul?x");
  CHECK(html_escaped("\xc2\x9b" "c1") == "?c1");                           // C1 control (CSI)
  CHECK(html_escaped("x\xe2\x80\xaey\xe2\x81\xa6z") == "x?y?z");           // RLO, LRI
  CHECK(html_escaped("\xe2\x80\x94 dash") == "\xe2\x80\x94 dash");         // U+2014 stays
  CHECK(html_escaped("cut \xe2\x80") == "cut \xef\xbf\xbd\xef\xbf\xbd");  // truncated sequence
}
