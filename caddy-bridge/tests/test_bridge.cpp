// The bridge's logic without sockets: status parsing, label hygiene, metrics,
// pages, routing. The classification cases use tests/test_patterns.json, so
// they do not depend on the state of the built-in Caddy rules.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "base/html_escape.hpp"
#include "bridge.hpp"
#include "bridge_metrics.hpp"

using namespace gw502::bridge;

namespace {

std::unique_ptr<Bridge> make_bridge(bool detail = false, size_t max_hosts = 100) {
  Config cfg;
  cfg.detail = detail;
  cfg.patterns = GW502_BRIDGE_TEST_PATTERNS;
  cfg.max_hosts = max_hosts;
  std::string err;
  auto b = Bridge::create(cfg, err);
  INFO(err);
  REQUIRE(b);
  return b;
}

RequestInfo error_request(std::string_view msg, std::string_view status, std::string_view host) {
  RequestInfo rq;
  rq.method = "GET";
  rq.target = "/gw502/error";
  rq.err_message = msg;
  rq.err_status = status;
  rq.gw502_host = host;
  return rq;
}

}  // namespace

TEST_CASE("the status comes from X-Gw502-Err-Status when it is a plain 4xx/5xx", "[bridge]") {
  CHECK(parse_status(std::string_view("502")) == 502);
  CHECK(parse_status(std::string_view("504")) == 504);
  CHECK(parse_status(std::string_view(" 503 ")) == 503);
  CHECK(parse_status(std::string_view("499")) == 499);
  CHECK(parse_status(std::nullopt) == 502);
  CHECK(parse_status(std::string_view("")) == 502);
  CHECK(parse_status(std::string_view("200")) == 502);
  CHECK(parse_status(std::string_view("600")) == 502);
  CHECK(parse_status(std::string_view("5O2")) == 502);
  CHECK(parse_status(std::string_view("0502")) == 502);
  CHECK(parse_status(std::string_view("-502")) == 502);
  CHECK(parse_status(std::string_view("502\r\nSet-Cookie: x=1")) == 502);
  CHECK(parse_status(std::string_view("99999999999999999999")) == 502);
}

TEST_CASE("host labels are reduced to a safe alphabet", "[metrics]") {
  CHECK(sanitize_host("example.com") == "example.com");
  CHECK(sanitize_host("Example.COM:8443") == "example.com");
  CHECK(sanitize_host("example.com.") == "example.com");
  CHECK(sanitize_host("a.example, b.example") == "a.example");
  CHECK(sanitize_host("127.0.0.1:19081") == "127.0.0.1");
  CHECK(sanitize_host("[::1]:443") == "[::1]");
  CHECK(sanitize_host("[2001:db8::1]") == "[2001:db8::1]");
  CHECK(sanitize_host("") == "none");
  CHECK(sanitize_host("   ") == "none");
  CHECK(sanitize_host("evil\"} 1\nfake_metric{a=\"b") == "invalid");
  CHECK(sanitize_host("a b") == "invalid");
  CHECK(sanitize_host("x.example:80:80") == "invalid");
  CHECK(sanitize_host("x.example:http") == "invalid");
  CHECK(sanitize_host("[::1") == "invalid");
  CHECK(sanitize_host("[::1]x") == "invalid");
  CHECK(sanitize_host("[zz::1]") == "invalid");
  CHECK(sanitize_host(std::string(400, 'a')) == "invalid");
  CHECK(sanitize_host(std::string("a\0b", 3)) == "invalid");
  CHECK(sanitize_host("\xc3\xa9t\xc3\xa9.example") == "invalid");
}

TEST_CASE("ids are checked before they reach a header or a label", "[metrics]") {
  CHECK(sanitize_id("connection_refused", "x") == "connection_refused");
  CHECK(sanitize_id("Connection_refused", "unclassified") == "unclassified");
  CHECK(sanitize_id("a\r\nb", "unclassified") == "unclassified");
  CHECK(sanitize_id("", "unclassified") == "unclassified");
  CHECK(sanitize_id(std::string(65, 'a'), "unclassified") == "unclassified");
  CHECK(sanitize_rule("caddy.dial_refused") == "caddy.dial_refused");
  CHECK(sanitize_rule("bad rule") == "");
}

TEST_CASE("the number of host labels is bounded", "[metrics]") {
  Metrics m(3);
  for (int i = 0; i < 50; ++i) m.count_error("connection_refused", "h" + std::to_string(i) + ".example");
  m.count_error("connection_refused", "h0.example");
  m.count_error("connection_refused", "");
  m.count_error("connection_refused", "bad host");
  CHECK(m.distinct_hosts() == 3);
  CHECK(m.errors("connection_refused", "h0.example") == 2);
  CHECK(m.errors("connection_refused", "h2.example") == 1);
  CHECK(m.errors("connection_refused", "other") == 47);
  CHECK(m.errors("connection_refused", "none") == 1);
  CHECK(m.errors("connection_refused", "invalid") == 1);
  std::string text = m.render("0.1.0", 1.5);
  CHECK(text.find("gw502_errors_total{cause=\"connection_refused\",host=\"other\"} 47\n") !=
        std::string::npos);
  CHECK(text.find("gw502_bridge_host_overflow_total 47\n") != std::string::npos);
}

TEST_CASE("the exposition is valid Prometheus text", "[metrics]") {
  Metrics m(10);
  m.count_error("read_timeout", "b.example");
  m.count_error("connection_refused", "a.example:443");
  m.count_error("connection_refused", "a.example");
  m.count_request(Kind::error);
  m.count_reject(Reject::timeout);
  m.connection_opened();
  std::string text = m.render("0.1.0", 1700000000.25);
  // Sorted by cause, then host; one sample per line; every family typed.
  size_t a = text.find("gw502_errors_total{cause=\"connection_refused\",host=\"a.example\"} 2\n");
  size_t b = text.find("gw502_errors_total{cause=\"read_timeout\",host=\"b.example\"} 1\n");
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  CHECK(a < b);
  CHECK(text.find("# TYPE gw502_errors_total counter\n") != std::string::npos);
  CHECK(text.find("gw502_bridge_requests_total{kind=\"error\"} 1\n") != std::string::npos);
  CHECK(text.find("gw502_bridge_rejected_total{reason=\"timeout\"} 1\n") != std::string::npos);
  CHECK(text.find("gw502_bridge_open_connections 1\n") != std::string::npos);
  CHECK(text.find("gw502_bridge_start_time_seconds 1700000000.250\n") != std::string::npos);
  CHECK(text.back() == '\n');
  // Every non-comment line is NAME{labels} VALUE or NAME VALUE.
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("# ", 0) == 0) continue;
    INFO(line);
    CHECK(line.rfind("gw502_", 0) == 0);
    CHECK(line.find(' ') != std::string::npos);
  }
}

TEST_CASE("an error request gets the original status, the cause and a page", "[bridge]") {
  auto b = make_bridge();
  Reply r = b->handle(error_request("dial tcp 127.0.0.1:1: connect: connection refused", "502",
                                    "app.example"));
  CHECK(r.status == 502);
  CHECK(r.cause == "connection_refused");
  CHECK(r.rule == "test.caddy.refused");
  CHECK(r.content_type == "text/html; charset=utf-8");
  CHECK(r.body.find("<h1>502 Bad Gateway</h1>") != std::string::npos);
  CHECK_FALSE(r.close);

  r = b->handle(error_request("net/http: timeout awaiting response headers", "504", "app.example"));
  CHECK(r.status == 504);
  CHECK(r.cause == "read_timeout");
  CHECK(r.body.find("took too long") != std::string::npos);

  CHECK(b->metrics().errors("connection_refused", "app.example") == 1);
  CHECK(b->metrics().errors("read_timeout", "app.example") == 1);
}

TEST_CASE("unknown, ignored and missing messages", "[bridge]") {
  auto b = make_bridge();
  Reply r = b->handle(error_request("something nobody wrote a rule for", "502", "x.example"));
  CHECK(r.cause == "unclassified");
  r = b->handle(error_request("context canceled", "502", "x.example"));  // an ignore rule
  CHECK(r.cause == "unclassified");
  r = b->handle(error_request("", "503", "x.example"));
  CHECK(r.status == 503);
  CHECK(r.cause == "unexplained");
  RequestInfo rq;
  rq.method = "GET";
  rq.target = "/anything";
  rq.err_status = std::string_view("504");  // status only
  r = b->handle(rq);
  CHECK(r.status == 504);
  CHECK(r.cause == "unexplained");
  CHECK(b->metrics().errors("unexplained", "none") == 1);
  rq = RequestInfo{};
  rq.method = "GET";
  rq.target = "/gw502/error";  // the snippet's path with no headers at all
  r = b->handle(rq);
  CHECK(r.status == 502);
  CHECK(r.cause == "unexplained");
}

TEST_CASE("the host label prefers X-Gw502-Host, then X-Forwarded-Host, then Host", "[bridge]") {
  auto b = make_bridge();
  RequestInfo rq = error_request("x", "502", "");
  rq.gw502_host.reset();
  rq.forwarded_host = std::string_view("fwd.example");
  rq.host = std::string_view("host.example");
  b->handle(rq);
  rq.forwarded_host.reset();
  b->handle(rq);
  rq.gw502_host = std::string_view("snippet.example");
  b->handle(rq);
  CHECK(b->metrics().errors("unclassified", "fwd.example") == 1);
  CHECK(b->metrics().errors("unclassified", "host.example") == 1);
  CHECK(b->metrics().errors("unclassified", "snippet.example") == 1);
}

TEST_CASE("pages leak nothing by default, --detail adds title and fix, escaped", "[bridge]") {
  const char* msg = "dial tcp 10.1.2.3:8080: connect: connection refused <script>";
  auto plain = make_bridge(false);
  Reply r = plain->handle(error_request(msg, "502", "app.example"));
  CHECK(r.body.find("10.1.2.3") == std::string::npos);
  CHECK(r.body.find("connection_refused") == std::string::npos);
  CHECK(r.body.find("app.example") == std::string::npos);
  CHECK(r.body.find("<script>") == std::string::npos);

  auto detail = make_bridge(true);
  r = detail->handle(error_request(msg, "502", "app.example"));
  CHECK(r.body.find("<code>connection_refused</code>") != std::string::npos);
  CHECK(r.body.find("Connection refused") != std::string::npos);  // the catalogue's title
  CHECK(r.body.find("<li>") != std::string::npos);                // its Caddy fix
  CHECK(r.body.find("10.1.2.3") == std::string::npos);            // never the raw text
  CHECK(r.body.find("<script>") == std::string::npos);
  CHECK(gw502::html_escaped("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;");  // the --detail page's escaping
}

TEST_CASE("routing: /healthz, /metrics, unknown paths, methods", "[bridge]") {
  auto b = make_bridge();
  RequestInfo rq;
  rq.method = "GET";
  rq.target = "/healthz";
  Reply r = b->handle(rq);
  CHECK(r.status == 200);
  CHECK(r.body == "ok\n");
  CHECK(r.cause.empty());
  rq.target = "/metrics?x=1";
  r = b->handle(rq);
  CHECK(r.status == 200);
  CHECK(r.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(r.body.find("gw502_bridge_requests_total{kind=\"healthz\"} 1\n") != std::string::npos);
  rq.method = "POST";
  r = b->handle(rq);
  CHECK(r.status == 405);
  rq.method = "GET";
  rq.target = "/";
  r = b->handle(rq);
  CHECK(r.status == 404);
  CHECK(r.cause.empty());
  // The error headers win over the path: the error route never serves /metrics.
  rq = error_request("x", "502", "h");
  rq.target = "/metrics";
  r = b->handle(rq);
  CHECK(r.status == 502);
  CHECK(r.body.find("gw502_errors_total") == std::string::npos);
}

TEST_CASE("rejections are counted and answered with a generic page", "[bridge]") {
  auto b = make_bridge();
  Reply r = b->reject(Reject::header_too_large);
  CHECK(r.status == 431);
  CHECK(r.close);
  CHECK(r.cause.empty());
  CHECK(r.body.find("<h1>Error</h1>") != std::string::npos);
  CHECK(b->reject(Reject::bad_request).status == 400);
  CHECK(b->metrics().rejects(Reject::header_too_large) == 1);
  CHECK(b->metrics().rejects(Reject::bad_request) == 1);
}

TEST_CASE("a broken extra catalogue fails at start with its reason", "[bridge]") {
  Config cfg;
  cfg.patterns = "/nonexistent/gw502-patterns.json";
  std::string err;
  CHECK(Bridge::create(cfg, err) == nullptr);
  CHECK_FALSE(err.empty());
}

TEST_CASE("a --metrics-listen address serves /metrics and /healthz only", "[bridge]") {
  auto b = make_bridge();
  Reply r = b->handle(error_request("dial tcp 127.0.0.1:1: connect: connection refused", "502", "h"), true);
  CHECK(r.status == 404);
  CHECK(r.cause.empty());
  RequestInfo rq;
  rq.method = "GET";
  rq.target = "/gw502/error";
  CHECK(b->handle(rq, true).status == 404);
  rq.target = "/metrics";
  CHECK(b->handle(rq, true).status == 200);
  rq.target = "/healthz";
  CHECK(b->handle(rq, true).status == 200);
  CHECK(b->metrics().errors("connection_refused", "h") == 0);
}
