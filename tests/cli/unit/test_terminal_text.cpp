#include <catch2/catch.hpp>

#include "terminal_text.hpp"

using namespace gw502::cli;

TEST_CASE("terminal text: C0, DEL, C1 and bidi controls become '?'", "[cli]") {
  CHECK(mask_controls("a\x1b[31mb\nc\td\x7f") == "a?[31mb?c?d?");
  CHECK(mask_controls("x\xc2\x9b" "31my") == "x?31my");        // U+009B CSI
  CHECK(mask_controls("x\xc2\x85y\xc2\x80z") == "x?y?z");      // NEL, U+0080
  CHECK(mask_controls("a\xe2\x80\xae" "b\xe2\x80\xaa" "c") == "a?b?c");  // U+202E, U+202A
  CHECK(mask_controls("a\xe2\x81\xa6" "b\xe2\x81\xa9" "c") == "a?b?c");  // U+2066, U+2069
}

TEST_CASE("terminal text: printable UTF-8 and invalid bytes are kept", "[cli]") {
  CHECK(mask_controls("caf\xc3\xa9 \xe2\x80\x94 \xe2\x80\xa6 \xe2\x86\x92") ==
        "caf\xc3\xa9 \xe2\x80\x94 \xe2\x80\xa6 \xe2\x86\x92");   // é — … →
  CHECK(mask_controls("\xc2\xa0\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa") ==
        "\xc2\xa0\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");         // neighbours of the masked ranges
  CHECK(mask_controls("\xc2") == "\xc2");
  CHECK(mask_controls("\xe2\x80") == "\xe2\x80");
}

TEST_CASE("terminal text: the report's own escapes are kept by mask_c1_bidi", "[cli]") {
  CHECK(mask_c1_bidi("\x1b[1mhost\xe2\x80\xae\x1b[0m\n") == "\x1b[1mhost?\x1b[0m\n");
}
