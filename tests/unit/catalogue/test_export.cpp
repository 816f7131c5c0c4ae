#include <re2/re2.h>

#include <sstream>

#include "catalogue/export.hpp"
#include "helpers.hpp"

using namespace gw502;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("exported patterns hold no empty pattern, which would match every line", "[catalogue][export]") {
  Catalogue cat = test::embedded_catalogue();
  for (LogFamily f : {LogFamily::nginx, LogFamily::traefik, LogFamily::caddy}) {
    INFO(family_name(f));
    std::vector<std::string> pats = lines_of(export_patterns(cat, f));
    REQUIRE(pats.size() > 5);
    for (const std::string& p : pats) {
      INFO(p);
      CHECK_FALSE(p.empty());
      RE2 re(p, RE2::Quiet);
      REQUIRE(re.ok());
      CHECK_FALSE(RE2::PartialMatch("GET / HTTP/1.1 200 OK", re));
    }
  }
}

TEST_CASE("a catch-all rule is exported as its literals, escaped", "[catalogue][export]") {
  Catalogue cat = test::embedded_catalogue();
  std::vector<std::string> pats = lines_of(export_patterns(cat, LogFamily::caddy));
  bool found = false;
  for (const std::string& p : pats) {
    if (p.find("http\\.log\\.error") == std::string::npos) continue;
    found = true;
    RE2 re(p, RE2::Quiet);
    REQUIRE(re.ok());
    CHECK(RE2::PartialMatch(R"({"logger":"http.log.error","msg":"boom"})", re));
    CHECK(RE2::PartialMatch("[ERROR 10.0.0.1:80 /]", re));
    CHECK_FALSE(RE2::PartialMatch(R"({"logger":"http_log_error"})", re));
  }
  CHECK(found);
}
