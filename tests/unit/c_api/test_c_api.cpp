#include <cstdio>
#include <fstream>

#include "gw502/gw502.h"
#include "helpers.hpp"

TEST_CASE("the C API classifies an nginx line with the embedded catalogue", "[c_api]") {
  char err[256] = "";
  gw502_classifier* c = gw502_classifier_new(nullptr, err, sizeof err);
  REQUIRE(c != nullptr);
  std::string line = gw502::test::refused_line() + "\n";
  gw502_result r{};
  REQUIRE(gw502_classify(c, GW502_NGINX, line.data(), line.size(), &r) == 1);
  CHECK(std::string(r.cause) == "connection_refused");
  CHECK(std::string(r.upstream, r.upstream_len) == "172.18.0.5:3000");
  std::string noise = "2024/01/15 10:23:45 [notice] 1#1: signal process started\n";
  CHECK(gw502_classify(c, GW502_NGINX, noise.data(), noise.size(), &r) == 0);
  CHECK(gw502_classify(c, GW502_NGINX, "garbage", 7, &r) == 0);
  // Errors are not "no failure": -1 for bad arguments and unknown dialects.
  CHECK(gw502_classify(nullptr, GW502_NGINX, "x", 1, &r) == -1);
  CHECK(gw502_classify(c, GW502_NGINX, nullptr, 1, &r) == -1);
  CHECK(gw502_classify(c, GW502_NGINX, "x", 1, nullptr) == -1);
  CHECK(gw502_classify(c, static_cast<gw502_dialect>(7), "x", 1, &r) == -1);
  gw502_classifier_free(c);
}

TEST_CASE("the C API reports a broken catalogue as text", "[c_api]") {
  std::string path = "/tmp/gw502_capi_broken.json";
  std::ofstream(path) << R"({"rules":[{"id":"r","cause":"connection_refused","regex":"(","literal":"x"}]})";
  char err[256] = "";
  CHECK(gw502_classifier_new(path.c_str(), err, sizeof err) == nullptr);
  CHECK(std::string(err).find("rule r: bad regex") != std::string::npos);
  char tiny[8];
  CHECK(gw502_classifier_new(path.c_str(), tiny, sizeof tiny) == nullptr);
  CHECK(std::string(tiny).size() == 7);
  std::remove(path.c_str());
}
