// Request parsing and response building through Boost.Beast, on raw bytes:
// the same parser settings and the same code path as a connection.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>

#include "bridge.hpp"
#include "http.hpp"

using namespace gw502::bridge;

namespace {

std::unique_ptr<Bridge> make_bridge() {
  Config cfg;
  cfg.patterns = GW502_BRIDGE_TEST_PATTERNS;
  std::string err;
  auto b = Bridge::create(cfg, err);
  REQUIRE(b);
  return b;
}

struct Parsed {
  std::string status_line;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(const std::string& name) const {
    for (auto& [k, v] : headers)
      if (k == name) return v;
    return "<absent>";
  }
};

Parsed parse(const std::string& raw) {
  Parsed p;
  size_t end = raw.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  std::string head = raw.substr(0, end + 2);
  p.body = raw.substr(end + 4);
  size_t pos = head.find("\r\n");
  p.status_line = head.substr(0, pos);
  pos += 2;
  while (pos < head.size()) {
    size_t nl = head.find("\r\n", pos);
    std::string line = head.substr(pos, nl - pos);
    pos = nl + 2;
    size_t colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    std::string v = line.substr(colon + 1);
    if (!v.empty() && v[0] == ' ') v.erase(0, 1);
    p.headers.emplace_back(line.substr(0, colon), v);
  }
  return p;
}

// Only these header names ever leave the bridge.
const std::set<std::string> kAllowed = {"Server",         "Content-Type", "Cache-Control",
                                        "X-Content-Type-Options", "X-Gw502-Cause",
                                        "X-Gw502-Rule",   "Content-Length", "Connection"};

void check_headers_are_ours(const Parsed& p) {
  for (auto& [k, v] : p.headers) {
    INFO(k << ": " << v);
    CHECK(kAllowed.count(k) == 1);
  }
}

std::string error_req(const std::string& extra) {
  return "GET /gw502/error HTTP/1.1\r\nHost: app.example\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("a request as Caddy sends it", "[http]") {
  auto b = make_bridge();
  std::string raw =
      "GET /gw502/error HTTP/1.1\r\n"
      "Host: app.example:8443\r\n"
      "User-Agent: curl/7.88.1\r\n"
      "X-Forwarded-For: 127.0.0.1\r\n"
      "X-Forwarded-Host: app.example:8443\r\n"
      "X-Forwarded-Proto: http\r\n"
      "X-Gw502-Err-Message: dial tcp 127.0.0.1:1: connect: connection refused\r\n"
      "X-Gw502-Err-Status: 502\r\n"
      "X-Gw502-Host: app.example\r\n"
      "Accept-Encoding: gzip\r\n\r\n";
  Parsed p = parse(answer_bytes(*b, raw));
  CHECK(p.status_line == "HTTP/1.1 502 Bad Gateway");
  CHECK(p.header("X-Gw502-Cause") == "connection_refused");
  CHECK(p.header("X-Gw502-Rule") == "test.caddy.refused");
  CHECK(p.header("Content-Type") == "text/html; charset=utf-8");
  CHECK(p.header("Cache-Control") == "no-store");
  CHECK(p.header("Content-Length") == std::to_string(p.body.size()));
  CHECK(p.header("Connection") == "<absent>");  // keep-alive is HTTP/1.1's default
  CHECK(p.body.find("<h1>502 Bad Gateway</h1>") != std::string::npos);
  check_headers_are_ours(p);
  CHECK(b->metrics().errors("connection_refused", "app.example") == 1);
}

TEST_CASE("a 504 and HEAD", "[http]") {
  auto b = make_bridge();
  std::string raw =
      "HEAD /gw502/error HTTP/1.1\r\nHost: h\r\n"
      "X-Gw502-Err-Message: net/http: timeout awaiting response headers\r\n"
      "X-Gw502-Err-Status: 504\r\n\r\n";
  std::string out = answer_bytes(*b, raw);
  Parsed p = parse(out);
  CHECK(p.status_line == "HTTP/1.1 504 Gateway Timeout");
  CHECK(p.header("X-Gw502-Cause") == "read_timeout");
  CHECK(p.body.empty());
  CHECK(std::stoul(p.header("Content-Length")) > 0);
}

TEST_CASE("missing and empty headers", "[http]") {
  auto b = make_bridge();
  Parsed p = parse(answer_bytes(*b, error_req("")));
  CHECK(p.status_line == "HTTP/1.1 502 Bad Gateway");
  CHECK(p.header("X-Gw502-Cause") == "unexplained");
  p = parse(answer_bytes(*b, error_req("X-Gw502-Err-Message:\r\nX-Gw502-Err-Status:\r\n")));
  CHECK(p.status_line == "HTTP/1.1 502 Bad Gateway");
  CHECK(p.header("X-Gw502-Cause") == "unexplained");
  p = parse(answer_bytes(*b, "GET / HTTP/1.1\r\n\r\n"));  // no Host, no headers, not our path
  CHECK(p.status_line == "HTTP/1.1 404 Not Found");
  CHECK(p.header("X-Gw502-Cause") == "<absent>");
}

TEST_CASE("hostile values are never echoed", "[http]") {
  auto b = make_bridge();
  const std::string marker = "EVILMARKER";
  std::string extras[] = {
      "X-Gw502-Err-Status: 502 " + marker + "\r\nX-Gw502-Err-Message: " + marker + "\r\n",
      "X-Gw502-Err-Status: 200\r\nX-Gw502-Err-Message: " + marker + " connect: connection refused\r\n",
      "X-Gw502-Err-Message: " + marker + "\tconnection refused \xff\xfe\r\n",
      "X-Gw502-Host: " + marker + "\"} 1\r\nX-Gw502-Err-Message: x\r\n",
      "X-Gw502-Err-Message: " + std::string(20000, 'A') + marker + "\r\n",
  };
  for (const std::string& e : extras) {
    std::string out = answer_bytes(*b, error_req(e));
    INFO(out.substr(0, 200));
    CHECK(out.find(marker) == std::string::npos);
    Parsed p = parse(out);
    check_headers_are_ours(p);
    CHECK(p.status_line == "HTTP/1.1 502 Bad Gateway");
  }
  // A long message is classified by its first 8 KiB and still answered.
  std::string long_refused = "X-Gw502-Err-Message: dial tcp 127.0.0.1:1: connect: connection refused" +
                             std::string(9000, ' ') + "\r\n";
  Parsed p = parse(answer_bytes(*b, error_req(long_refused)));
  CHECK(p.header("X-Gw502-Cause") == "connection_refused");
}

TEST_CASE("CR, NUL, bad names and non-HTTP are refused by the parser", "[http]") {
  auto b = make_bridge();
  std::string bad[] = {
      error_req("X-Gw502-Err-Message: a\rSet-Cookie: x=1\r\n"),     // bare CR
      error_req(std::string("X-Gw502-Err-Message: a\0b\r\n", 25)),   // NUL
      "GET /gw502/error HTTP/1.1\r\nHost: h\r\nX Bad: 1\r\n\r\n",     // space in a name
      "GET /gw502/error\r\n\r\n",                                     // HTTP/0.9
      "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",                 // a TLS ClientHello
      "GET /gw502/error HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
      "GET /gw502/error HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
  };
  for (const std::string& raw : bad) {
    std::string out = answer_bytes(*b, raw);
    INFO(raw);
    Parsed p = parse(out);
    CHECK(p.status_line == "HTTP/1.1 400 Bad Request");
    CHECK(p.header("Connection") == "close");
    CHECK(p.header("X-Gw502-Cause") == "<absent>");
    CHECK(out.find("Set-Cookie") == std::string::npos);
    check_headers_are_ours(p);
  }
  CHECK(b->metrics().rejects(Reject::bad_request) == 7);
  // obs-fold is unfolded (RFC 9112 5.2 allows a recipient to), never echoed.
  Parsed p = parse(answer_bytes(*b, error_req("X-Gw502-Err-Message: a\r\n folded: yes\r\n")));
  CHECK(p.status_line == "HTTP/1.1 502 Bad Gateway");
  CHECK(p.header("X-Gw502-Cause") == "unclassified");
  check_headers_are_ours(p);
}

TEST_CASE("oversized headers and bodies", "[http]") {
  auto b = make_bridge();
  Limits lim;
  std::string huge = error_req("X-Gw502-Err-Message: " + std::string(1 << 20, 'a') + "\r\n");
  Parsed p = parse(answer_bytes(*b, huge, lim));
  CHECK(p.status_line == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(p.header("Connection") == "close");
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  p = parse(answer_bytes(*b, error_req(many), lim));
  CHECK(p.status_line == "HTTP/1.1 431 Request Header Fields Too Large");
  std::string body(lim.max_body_bytes + 1, 'b');
  std::string post = "POST /gw502/error HTTP/1.1\r\nHost: h\r\nX-Gw502-Err-Status: 502\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body;
  p = parse(answer_bytes(*b, post, lim));
  CHECK(p.status_line == "HTTP/1.1 413 Content Too Large");
  // A small body is read and ignored (Caddy >= 2.11.4 without `method GET`).
  post = "POST /gw502/error HTTP/1.1\r\nHost: h\r\nX-Gw502-Err-Status: 504\r\nContent-Length: 5\r\n\r\nhello";
  p = parse(answer_bytes(*b, post, lim));
  CHECK(p.status_line == "HTTP/1.1 504 Gateway Timeout");
  CHECK(b->metrics().rejects(Reject::header_too_large) == 2);
  CHECK(b->metrics().rejects(Reject::body_too_large) == 1);
}

TEST_CASE("HTTP/1.0 and Connection: close are honoured", "[http]") {
  auto b = make_bridge();
  Parsed p = parse(answer_bytes(*b, "GET /healthz HTTP/1.0\r\n\r\n"));
  CHECK(p.status_line == "HTTP/1.0 200 OK");
  CHECK(p.header("Connection") == "<absent>");  // 1.0 closes by default
  CHECK(p.body == "ok\n");
  p = parse(answer_bytes(*b, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"));
  CHECK(p.header("Connection") == "close");
}

TEST_CASE("duplicate error headers: the first counts", "[http]") {
  auto b = make_bridge();
  Parsed p = parse(answer_bytes(
      *b, error_req("X-Gw502-Err-Status: 504\r\nX-Gw502-Err-Status: 502\r\n"
                    "X-Gw502-Err-Message: net/http: timeout awaiting response headers\r\n"
                    "X-Gw502-Err-Message: dial tcp 1.2.3.4:1: connect: connection refused\r\n")));
  CHECK(p.status_line == "HTTP/1.1 504 Gateway Timeout");
  CHECK(p.header("X-Gw502-Cause") == "read_timeout");
}
