#include "helpers.hpp"
#include "decode/line_decoder.hpp"
#include "decode/nginx_decoder.hpp"
#include "base/timeparse.hpp"

using namespace gw502;

TEST_CASE("an nginx error line becomes an event", "[decoder]") {
  Event ev;
  std::string line = test::refused_line();
  REQUIRE(decode_nginx_error(line, ev));
  CHECK(format_iso(ev.time, false) == "2024-01-15T10:23:45");
  CHECK(ev.level == "error");
  CHECK(ev.pid == 31);
  CHECK(ev.cid == 7);
  CHECK(ev.message == "connect() failed (111: Connection refused) while connecting to upstream");
  CHECK(ev.errno_num == 111);
  CHECK(ev.errno_text == "Connection refused");
  CHECK(ev.action == "connecting to upstream");
  CHECK(ev.client == "10.0.0.1");
  CHECK(ev.server == "a.example");
  CHECK(ev.request == "GET / HTTP/1.1");
  CHECK(ev.upstream == "172.18.0.5:3000");
  CHECK(ev.scheme == "http");
  CHECK(ev.host == "a.example");
}

TEST_CASE("variants real logs have", "[decoder]") {
  Event ev;
  std::string line;  // the event's views point into it
  SECTION("no connection id, no context (start-up)") {
    REQUIRE(decode_nginx_error(
        "2024/01/15 10:23:45 [emerg] 1#1: host not found in upstream \"app:3000\" in /etc/nginx/conf.d/default.conf:12\n",
        ev));
    CHECK(ev.cid == -1);
    CHECK(ev.level == "emerg");
    CHECK(ev.message == "host not found in upstream \"app:3000\" in /etc/nginx/conf.d/default.conf:12");
    CHECK(ev.upstream.empty());
  }
  SECTION("unix socket upstreams") {
    line = test::refused_line("http://unix:/run/app.sock:/api");
    REQUIRE(decode_nginx_error(line, ev));
    CHECK(ev.upstream == "unix:/run/app.sock");
    line = test::refused_line("fastcgi://unix:/x.sock:");
    REQUIRE(decode_nginx_error(line, ev));
    CHECK(ev.upstream == "unix:/x.sock");
    CHECK(ev.scheme == "fastcgi");
  }
  SECTION("other schemes and IPv6") {
    line = test::refused_line("uwsgi://127.0.0.1:3031");
    REQUIRE(decode_nginx_error(line, ev));
    CHECK(ev.upstream == "127.0.0.1:3031");
    line = test::refused_line("grpcs://[2001:db8::5]:50051");
    REQUIRE(decode_nginx_error(line, ev));
    CHECK(ev.upstream == "[2001:db8::5]:50051");
    CHECK(ev.scheme == "grpcs");
  }
  SECTION("musl wording") {
    REQUIRE(decode_nginx_error(
        "2024/01/15 10:23:45 [error] 7#7: *3 upstream timed out (110: Operation timed out) while reading response header from upstream, client: 1.2.3.4, server: _",
        ev));
    CHECK(ev.errno_num == 110);
    CHECK(ev.errno_text == "Operation timed out");
    CHECK(ev.action == "reading response header from upstream");
  }
  SECTION("a stray quote in the request and the referrer") {
    REQUIRE(decode_nginx_error(
        "2024/01/15 10:23:45 [error] 7#7: *3 connect() failed (111: Connection refused) while connecting to upstream, "
        "client: 1.2.3.4, server: a, request: \"GET /a\"b HTTP/1.1\", upstream: \"http://10.0.0.2:80/a\"b\", host: \"a\", referrer: \"http://x/\"y\"",
        ev));
    CHECK(ev.request == "GET /a\"b HTTP/1.1");
    CHECK(ev.upstream == "10.0.0.2:80");
    CHECK(ev.host == "a");
  }
  SECTION("a line cut at nginx's 2048-byte limit") {
    line = test::refused_line();
    line = line.substr(0, line.find("host: \"") + 9);
    REQUIRE(decode_nginx_error(line, ev));
    CHECK(ev.upstream == "172.18.0.5:3000");
    CHECK(ev.host == "a.");
  }
}

TEST_CASE("lines that are not nginx error lines are refused", "[decoder]") {
  Event ev;
  CHECK_FALSE(decode_nginx_error("", ev));
  CHECK_FALSE(decode_nginx_error("hello world, this is not a log line at all", ev));
  CHECK_FALSE(decode_nginx_error("2024/01/15 10:23:45 error 1#1: x", ev));
  CHECK_FALSE(decode_nginx_error("2024/13/15 10:23:45 [error] 1#1: x", ev));
}

TEST_CASE("access-log formats", "[decoder]") {
  Event ev;
  SECTION("combined") {
    REQUIRE(decode_nginx_access(
        "10.0.0.1 - - [15/Jan/2024:10:23:45 +0100] \"GET /x\"y HTTP/1.1\" 502 157 \"-\" \"curl/8\"", ev));
    CHECK(ev.status == 502);
    CHECK(ev.client == "10.0.0.1");
    CHECK(ev.request == "GET /x\"y HTTP/1.1");
    CHECK(format_iso(ev.time, true) == "2024-01-15T09:23:45Z");
  }
  SECTION("ingress-nginx: the real client in brackets before the time, the tail cut off") {
    REQUIRE(decode_nginx_access(
        "10.1.2.3 - [203.0.113.9] - - [20/Dec/2017:01:40:42 +0000] \"GET /app HTTP/1.1\" 504 585 \"-\" \"Mozilla/5.0 (KH",
        ev));
    CHECK(ev.status == 504);
    CHECK(ev.client == "10.1.2.3");
    CHECK(ev.request == "GET /app HTTP/1.1");
    CHECK(format_iso(ev.time, true) == "2017-12-20T01:40:42Z");
    // A bracket without a time, and nothing after it that holds one: not an access line.
    CHECK_FALSE(decode_nginx_access("10.1.2.3 - [203.0.113.9] - - \"GET / HTTP/1.1\" 504 585", ev));
  }
  SECTION("NPM proxy") {
    REQUIRE(decode_nginx_access(
        "[15/Jan/2024:10:23:45 +0000] - 502 502 - GET https app.example.com \"/api\" [Client 1.2.3.4] "
        "[Length 552] [Gzip -] [Sent-to backend] \"curl/8\" \"-\"",
        ev));
    CHECK(ev.status == 502);
    CHECK(ev.host == "app.example.com");
    CHECK(ev.client == "1.2.3.4");
    CHECK(ev.upstream == "backend");
    CHECK(ev.request == "/api");
    CHECK(ev.failed_tries == 1);
  }
  SECTION("NPM proxy, retried: the upstream status list counts the failed tries") {
    REQUIRE(decode_nginx_access(
        "[18/Feb/2025:16:43:40 +0000] - 502, 502, 504, 502, 404 404 - GET https s.example \"/fastreact/\" "
        "[Client 1.2.3.4] [Length 5142] [Gzip -] [Sent-to s.example] \"ua\" \"-\"",
        ev));
    CHECK(ev.status == 404);
    CHECK(ev.failed_tries == 4);
    CHECK(ev.request == "/fastreact/");
  }
  SECTION("NPM standard") {
    REQUIRE(decode_nginx_access(
        "[15/Jan/2024:10:23:45 +0000] 504 - GET http b.example \"/\" [Client 1.2.3.4] [Length 0] [Gzip -] \"ua\" \"-\"",
        ev));
    CHECK(ev.status == 504);
    CHECK(ev.host == "b.example");
  }
  SECTION("not an access line") {
    CHECK_FALSE(decode_nginx_access("2024/01/15 10:23:45 [error] 1#1: x", ev));
    CHECK_FALSE(decode_nginx_access("[garbage", ev));
  }
}

TEST_CASE("time parsing", "[decoder]") {
  int64_t t;
  bool utc;
  REQUIRE(parse_nginx_time("1970/01/02 00:00:01", t));
  CHECK(t == 86401);
  REQUIRE(parse_iso_time("2024-01-15T10:00:00+02:00", t, utc));
  CHECK(utc);
  CHECK(format_iso(t, true) == "2024-01-15T08:00:00Z");
  REQUIRE(parse_iso_time("2024-02-29", t, utc));
  CHECK(format_iso(t, false) == "2024-02-29T00:00:00");
  CHECK_FALSE(parse_iso_time("yesterday", t, utc));
}

TEST_CASE("a custom format with marked separators is read for its request and status", "[nginx][access][wild3]") {
  gw502::Event ev;
  CHECK(gw502::decode_nginx_access(R"L([10:00:00 +0000]|| "POST /orders HTTP/2.0"|| 502|| 150|| "-"|| 10.0.0.9:9999|| 502)L", ev));
  CHECK(ev.status == 502);
  CHECK(ev.request == "POST /orders HTTP/2.0");
  CHECK(gw502::decode_nginx_access(R"L(x.test;"GET / HTTP/1.1";504;0.5)L", ev));
  CHECK(ev.status == 504);
  // Only spaces: a format that looks like combined stays unread (and says so).
  CHECK_FALSE(gw502::decode_nginx_access(R"L(x.test 10.0.0.5:80 "GET / HTTP/1.1" 502 157 us=502)L", ev));
  // A quoted request inside an error message is no access line.
  CHECK_FALSE(gw502::decode_nginx_access(R"L(request: "GET / HTTP/1.1", upstream: "http://a/")L", ev));
}

TEST_CASE("a custom format with the request as an unquoted field of its own", "[nginx][access][wild11]") {
  gw502::Event ev;
  // Tengine-style: fields between " | ", $request without quotes, a CLF time.
  REQUIRE(gw502::decode_nginx_access(
      "10.0.0.9 | 10/Jan/2017:03:58:24 +0800 | POST /user/info?p=5 HTTP/1.1 | 502 | 271 | - | 10.2.95.87:80 | 502", ev));
  CHECK(ev.status == 502);
  CHECK(ev.request == "POST /user/info?p=5 HTTP/1.1");
  CHECK(ev.time == 1483991904);  // 2017-01-09T19:58:24Z
  REQUIRE(gw502::decode_nginx_access("10.0.0.9\t03/Dec/2026:07:41:42 +0000\tGET /x HTTP/2.0\t504\t0", ev));
  CHECK(ev.status == 504);
  CHECK(ev.request == "GET /x HTTP/2.0");
  REQUIRE(gw502::decode_nginx_access("a.test, GET / HTTP/1.1, 502, 10", ev));
  CHECK(ev.status == 502);
  // Not a field of its own, or no status after separators: not read.
  CHECK_FALSE(gw502::decode_nginx_access("a.test | see GET / HTTP/1.1 | 502", ev));
  CHECK_FALSE(gw502::decode_nginx_access("a.test GET / HTTP/1.1 | 502", ev));
  CHECK_FALSE(gw502::decode_nginx_access("a.test | GET / HTTP/1.1 | upstream", ev));
  CHECK_FALSE(gw502::decode_nginx_access("a.test | GET / HTTP/1.1 502", ev));
}

TEST_CASE("a bare message without nginx's head is read only when it is about an upstream", "[decoder][wild5]") {
  Event ev;
  // The resolver's own words, pasted without time, level or pid.
  std::string line = "backend.docker could not be resolved (110: Operation timed out),";
  REQUIRE(decode_nginx_error_loose(line, ev));
  CHECK(ev.message == "backend.docker could not be resolved (110: Operation timed out),");
  line = "no live upstreams while connecting to upstream";
  CHECK(decode_nginx_error_loose(line, ev));
  // A sentence that merely contains the words is not nginx's.
  line = "the name of my app could not be resolved (really)";
  CHECK_FALSE(decode_nginx_error_loose(line, ev));
  line = " could not be resolved (3: Host not found)";
  CHECK_FALSE(decode_nginx_error_loose(line, ev));
}

TEST_CASE("an error line with nginx's time and level but its pid#tid cut out is still read", "[decoder]") {
  LineDecoder d;
  Event ev;
  const std::string line =
      "2018/06/08 12:51:17 [error] *426 connect() failed (111: Connection refused) while connecting to upstream, "
      "client: 203.0.113.41, server: localhost, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", "
      "host: \"a.example\"";
  CHECK_FALSE(decode_nginx_error(line, ev));  // the strict reader wants "pid#tid: "
  const Decoded r = d.decode(line, line, kAllFamilies, ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::nginx);
  CHECK(ev.level == "error");
  CHECK(ev.cid == 426);
  CHECK(ev.message == "connect() failed (111: Connection refused) while connecting to upstream");
  finish_nginx_error(ev);
  CHECK(ev.host == "a.example");
  CHECK(ev.upstream == "10.0.0.5:80");
}
