// looks_binary (D10): a NUL run is a hole in a log, not binary content.
#include <fstream>
#include <iterator>

#include "helpers.hpp"
#include "scan/source_info.hpp"

using namespace gw502;

namespace {
std::string failures(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "2024/01/15 10:23:45 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to "
         "upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.1:80/\", "
         "host: \"a\"\n";
  return s;
}
std::string junk(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 23);
  }
  return s;
}
}  // namespace

TEST_CASE("a NUL run at the start of a log is a hole, not binary data", "[source_info][D10]") {
  CHECK_FALSE(looks_binary(std::string(4096, '\0') + failures(200)));
  CHECK_FALSE(looks_binary(std::string(100, '\0') + failures(3)));
  // copytruncate under a writer at offset 600 KiB: the hole is that long.
  CHECK_FALSE(looks_binary(std::string(600 << 10, '\0') + failures(10)));
  // Zeroed blocks between lines (a crash) do not count either.
  CHECK_FALSE(looks_binary(failures(5) + std::string(4096, '\0') + failures(5) + std::string(3000, '\0') + failures(5)));
}

TEST_CASE("binary data is still binary, with or without NUL runs", "[source_info][D10]") {
  CHECK(looks_binary(junk(8192)));
  CHECK(looks_binary(std::string(4096, '\0') + junk(8192)));
  CHECK(looks_binary(std::string(8192, '\0')));  // nothing but NULs: no text to read
  CHECK(looks_binary(std::string(2 << 20, '\0') + failures(3)));  // beyond the 1 MiB we look past
  std::string elf;
  {
    std::ifstream in("/bin/sh", std::ios::binary);
    elf.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (!elf.empty()) CHECK(looks_binary(elf));
  CHECK_FALSE(looks_binary(failures(100)));
  CHECK_FALSE(looks_binary(""));
}

TEST_CASE("a head of nginx error-log lines only is told apart from one with access lines", "[source_info]") {
  SourceInfo info;
  refine_source(info, failures(3));
  CHECK(info.error_log_head);
  // A line cut at the end of the head does not count against it.
  refine_source(info, failures(3) + "10.0.0.1 - - [15/Jan/2024:10:23");
  CHECK(info.error_log_head);
  refine_source(info, failures(2) + "10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 157 \"-\" \"curl\"\n");
  CHECK_FALSE(info.error_log_head);
  refine_source(info, "{\"level\":\"error\",\"msg\":\"x\"}\n");
  CHECK_FALSE(info.error_log_head);
  refine_source(info, "");
  CHECK_FALSE(info.error_log_head);
  refine_source(info, "2024/01/15 10:23:45 [error] 1#1: no newline yet");
  CHECK_FALSE(info.error_log_head);
}
