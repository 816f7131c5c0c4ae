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
