// Shared test helpers: an in-memory Source and a catalogue from inline JSON.
#pragma once
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "catalogue/catalogue.hpp"
#include "source/source.hpp"

namespace gw502::test {

// Hands out `data` in pieces of at most `step` bytes, like a pipe.
class StringSource final : public Source {
 public:
  explicit StringSource(std::string data, size_t step = 1 << 20) : data_(std::move(data)), step_(step) {}
  long read(char* dst, size_t n, std::string&) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    std::memcpy(dst, data_.data() + pos_, k);
    pos_ += k;
    return static_cast<long>(k);
  }

 private:
  std::string data_;
  size_t step_;
  size_t pos_ = 0;
};

inline Catalogue embedded_catalogue() {
  Catalogue cat;
  std::string err;
  REQUIRE(cat.load({}, err));
  return cat;
}

// A small catalogue of our own, so tests do not depend on the shipped rules.
inline const char* kMiniCatalogue = R"json({
  "causes": [
    {"id": "connection_refused", "title": "refused", "likely": ["down"], "fix": {"nginx": ["start it"], "npm": ["check Forward Port"]}},
    {"id": "dns_failure", "title": "dns"},
    {"id": "unexplained", "title": "served 502"},
    {"id": "unclassified", "title": "unknown"}
  ],
  "hints": [{"id": "loopback_upstream", "text": {"nginx": "loopback"}, "when": "loopback", "applies_to": ["connection_refused"]}],
  "rules": [
    {"id": "t.dns_send", "cause": "dns_failure", "regex": "\\(111: Connection refused\\) while resolving", "literal": "while resolving"},
    {"id": "t.client_ssl", "ignore": true, "regex": "while SSL handshaking$", "literal": "SSL handshaking"},
    {"id": "t.refused", "cause": "connection_refused", "regex": "\\(111: Connection refused\\)", "literal": "Connection refused"},
    {"id": "t.noresolver", "cause": "dns_failure", "regex": "no resolver defined to resolve (?P<upstream>\\S+)", "literal": "no resolver defined"},
    {"id": "t.access", "cause": "unexplained", "log": "access", "regex": "\" 50[24] ", "literal": ["\" 502 ", "\" 504 "], "status": [502, 504]},
    {"id": "t.catchall", "cause": "unclassified", "regex": "while (connecting to|reading response header from) upstream", "literal": " upstream"}
  ]
})json";

inline Catalogue mini_catalogue() {
  Catalogue cat;
  std::string err;
  REQUIRE(cat.add_json("mini.json", kMiniCatalogue, false, err));
  REQUIRE(cat.finish(err));
  return cat;
}

inline std::string refused_line(const char* upstream = "http://172.18.0.5:3000/", const char* host = "a.example") {
  return std::string("2024/01/15 10:23:45 [error] 31#31: *7 connect() failed (111: Connection refused) "
                     "while connecting to upstream, client: 10.0.0.1, server: a.example, request: \"GET / HTTP/1.1\", "
                     "upstream: \"") + upstream + "\", host: \"" + host + "\"";
}

}  // namespace gw502::test
