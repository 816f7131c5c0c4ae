#include <unistd.h>

#include <cstdio>
#include <string>

#include "helpers.hpp"
#include "source/file_range.hpp"

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
  CHECK(r.read(name, 9, 8, out));
  CHECK(out == "line two");
  CHECK(r.read(name, 0, 4, out));  // the file kept open
  CHECK(out == "line");
  CHECK_FALSE(r.read(name, 15, 10, out));  // past its end
  CHECK_FALSE(r.read("/nonexistent/gw502/file", 0, 1, out));
  CHECK(r.read(name, 5, 3, out));  // back to the first after a failed open
  CHECK(out == "one");
  std::remove(name);
}
