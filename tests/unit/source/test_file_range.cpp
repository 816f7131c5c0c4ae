#include <unistd.h>

#include <cstdio>
#include <string>

#include "helpers.hpp"
#include "source/file_range.hpp"
#include "source/source.hpp"

using namespace gw502;

TEST_CASE("file ranges are read by path, and a missing file or range says false", "[file_range]") {
  char name[] = "/tmp/gw502_range_XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  const std::string body = "line one\nline two\n";
  REQUIRE(::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()));
  ::close(fd);
  FileRanges r;
  std::string out;
  CHECK(r.read(0, name, 9, 8, out));
  CHECK(out == "line two");
  CHECK(r.read(0, name, 0, 4, out));  // the file kept open
  CHECK(out == "line");
  CHECK_FALSE(r.read(0, name, 15, 10, out));  // past its end
  CHECK_FALSE(r.read(0, "/nonexistent/gw502/file", 0, 1, out));
  CHECK(r.read(0, name, 5, 3, out));  // back to the first after a failed open
  CHECK(out == "one");
  std::remove(name);
}

TEST_CASE("a kept descriptor reads the file that was scanned after it is rotated or deleted", "[file_range]") {
  char name[] = "/tmp/gw502_range_XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  const std::string body = "first file, line one\nline two\n";
  REQUIRE(::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()));
  ::close(fd);
  FileRanges r;
  {
    std::string err;
    auto src = open_source(name, err);
    REQUIRE(src);
    CHECK(src->dup_map_fd() < 0);  // not mapped yet: nothing to keep
    std::string_view map;
    REQUIRE(src->map(map));
    CHECK(r.keep(3, src->dup_map_fd()));
  }  // the source is gone, its descriptor kept
  const std::string rotated = std::string(name) + ".1";
  REQUIRE(std::rename(name, rotated.c_str()) == 0);
  FILE* f = std::fopen(name, "w");  // a new file under the old name
  REQUIRE(f);
  std::fputs("a newer file\n", f);
  std::fclose(f);
  std::string out;
  CHECK(r.read(3, name, 21, 8, out));
  CHECK(out == "line two");
  CHECK(r.read(4, name, 2, 5, out));  // a source without one: by path
  CHECK(out == "newer");
  std::remove(rotated.c_str());
  CHECK(r.read(3, name, 0, 5, out));  // deleted too
  CHECK(out == "first");
  CHECK_FALSE(r.read(3, name, 25, 10, out));  // past its end
  CHECK_FALSE(r.keep(3, ::dup(0)));  // one per source
  CHECK_FALSE(r.keep(5, -1));
  std::remove(name);
}

TEST_CASE("at most kMaxKept descriptors are kept", "[file_range]") {
  FileRanges r;
  size_t kept = 0;
  for (uint32_t i = 0; i < FileRanges::kMaxKept + 10; ++i) kept += r.keep(i, ::dup(0));
  CHECK(kept == FileRanges::kMaxKept);
}
