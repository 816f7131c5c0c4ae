#include "helpers.hpp"
#include "base/timeparse.hpp"
#include "decode/access_format.hpp"
#include "decode/line_decoder.hpp"

using namespace gw502;

namespace {

// The format widely posted as "upstream_time" (nginx.com's blog on logging
// upstream timings).
const char* kUpstreamTime =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" "
    "\"$http_user_agent\" rt=$request_time uct=\"$upstream_connect_time\" uht=\"$upstream_header_time\" "
    "urt=\"$upstream_response_time\"";

AccessFormat compiled(std::string_view spec) {
  AccessFormat f;
  std::string err;
  INFO(err);
  REQUIRE(f.compile(spec, err));
  return f;
}

std::string reason(std::string_view spec) {
  AccessFormat f;
  std::string err;
  CHECK_FALSE(f.compile(spec, err));
  return err;
}

}  // namespace

TEST_CASE("the upstream_time format is cut into its fields", "[access_format]") {
  AccessFormat f = compiled(kUpstreamTime);
  AccessFields v;
  const std::string line =
      "192.0.2.7 - - [03/Dec/2026:07:41:40 +0000] \"GET /p?q=1 HTTP/1.1\" 502 157 \"-\" \"curl/7.88.1\" "
      "rt=0.001 uct=\"-\" uht=\"-\" urt=\"0.000\"";
  REQUIRE(f.match(line, v));
  CHECK(v[AccessVar::remote_addr] == "192.0.2.7");
  CHECK(v[AccessVar::request] == "GET /p?q=1 HTTP/1.1");
  CHECK(v[AccessVar::status] == "502");
  CHECK(v[AccessVar::http_user_agent] == "curl/7.88.1");
  CHECK(v[AccessVar::upstream_response_time] == "0.000");
  Event ev;
  access_event(v, ev);
  CHECK(ev.status == 502);
  CHECK(ev.client == "192.0.2.7");
  CHECK(format_iso(ev.time, true) == "2026-12-03T07:41:40Z");
  CHECK(ev.time_is_utc);
  std::string m;
  access_match_text(v, m);
  CHECK(m == "access_format status=502 upstream_status=-");
}

TEST_CASE("host and upstream first; the upstream that failed is picked", "[access_format]") {
  AccessFormat f = compiled(
      "$host $upstream_addr [$time_local] $remote_addr \"$request\" $status $body_bytes_sent "
      "us=$upstream_status urt=$upstream_response_time \"$http_user_agent\"");
  AccessFields v;
  REQUIRE(f.match("shop.test 10.0.0.6:3000, 10.0.0.5:3000 [03/Dec/2026:07:41:40 +0000] 192.0.2.7 "
                  "\"GET /api HTTP/1.1\" 200 512 us=200, 502 urt=0.001, 0.020 \"Mozilla/5.0 (X11)\"",
                  v));
  Event ev;
  access_event(v, ev);
  CHECK(ev.host == "shop.test");
  CHECK(ev.upstream == "10.0.0.5:3000");  // the try with the 502
  CHECK(ev.status == 200);
  std::string m;
  access_match_text(v, m);
  CHECK(m == "access_format status=200 upstream_status=200, 502");
  // An internal redirect's " : " separates entries too; "-" is no upstream.
  REQUIRE(f.match("a.test unix:/run/app.sock : 10.0.0.9:80 [03/Dec/2026:07:41:40 +0000] ::1 "
                  "\"GET / HTTP/1.1\" 502 1 us=502 : 200 urt=- \"x\"",
                  v));
  access_event(v, ev);
  CHECK(ev.upstream == "unix:/run/app.sock");
  CHECK(ev.client == "::1");
  REQUIRE(f.match("a.test - [03/Dec/2026:07:41:40 +0000] 10.0.0.1 \"GET / HTTP/1.1\" 404 1 us=- urt=- \"x\"", v));
  access_event(v, ev);
  CHECK(ev.upstream.empty());
}

TEST_CASE("names, directives and ${var}", "[access_format]") {
  AccessFields v;
  const std::string combined =
      "10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 504 0 \"-\" \"Go-http-client/1.1\"";
  CHECK(compiled("combined").match(combined, v));
  CHECK(v[AccessVar::status] == "504");
  CHECK(compiled("main").match(combined + " \"-\"", v));
  CHECK(compiled("npm").match(
      "[15/Jan/2024:10:23:45 +0000] - 502, 200 200 - GET https a.example \"/x\" [Client 10.0.0.1] "
      "[Length 5] [Gzip -] [Sent-to 172.18.0.5] \"curl\" \"-\"",
      v));
  CHECK(v[AccessVar::upstream_status] == "502, 200");
  CHECK(v[AccessVar::request_uri] == "/x");
  // The directive as nginx.conf has it, over several lines, with escape=.
  AccessFormat d = compiled(
      "log_format upstreamlog escape=json '$remote_addr [$time_local] '\n"
      "    '\"$request\" ${status} \\'$host\\'';");
  REQUIRE(d.match("10.0.0.1 [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 'a.test'", v));
  CHECK(v[AccessVar::host] == "a.test");
  CHECK(d.text() == "$remote_addr [$time_local] \"$request\" ${status} '$host'");
  // Quoted parts without the directive.
  CHECK(compiled("'$remote_addr $status' ' $host'").text() == "$remote_addr $status $host");
  // GoAccess's --log-format, as nginx2goaccess writes it for NPM's format.
  AccessFormat g = compiled(
      "[%d:%t %^] %^ %^ %s - %m %^ %v \"%U\" [Client %h] [Length %b] [Gzip %^] [Sent-to %^] \"%u\" \"%R\"");
  REQUIRE(g.match("[15/Jan/2024:10:23:45 +0000] - 502 502 - GET https a.example \"/x\" [Client 10.0.0.1] "
                  "[Length 5] [Gzip -] [Sent-to 172.18.0.5] \"curl\" \"-\"",
                  v));
  CHECK(v[AccessVar::status] == "502");
  CHECK(v[AccessVar::host] == "a.example");
  CHECK(v[AccessVar::remote_addr] == "10.0.0.1");
  CHECK(compiled("%h %^[%d:%t %^] \"%r\" %s %b \"%R\" \"%u\"").match(combined, v));
  CHECK(v[AccessVar::http_user_agent] == "Go-http-client/1.1");
  CHECK(compiled("COMBINED").match(combined, v));
  // Unknown variables are fields skipped.
  AccessFormat o = compiled("$remote_addr $ssl_protocol/$ssl_cipher $status");
  REQUIRE(o.match("10.0.0.1 TLSv1.3/TLS_AES_256_GCM_SHA384 502", v));
  CHECK(v[AccessVar::status] == "502");
}

TEST_CASE("bad formats are refused with a reason", "[access_format]") {
  CHECK(reason("$remote_addr $request") == "the format has no $status: gw502 needs the status nginx served");
  CHECK(reason("$remote_addr ${status") == "unterminated ${ at offset 13");
  CHECK(reason("$remote_addr $ $status").find("offset 13") != std::string::npos);
  CHECK(reason("${} $status").find("not followed by a variable name") != std::string::npos);
  CHECK(reason("%h %^[%d %t %^] \"%r\" %s").find("GoAccess's %d is read only as [%d:%t %^]") == 0);
  CHECK(reason("%h %~ %s").find("GoAccess's %~ has no nginx variable") == 0);
  CHECK(reason("%h %^[%d:%t %^] \"%r\"").find("has no %s") != std::string::npos);
  CHECK(reason("   ").find("empty") == 0);
  CHECK(reason("log_format x;").find("no format string") != std::string::npos);
  CHECK(reason("log_format x '$status").find("unterminated") != std::string::npos);
  std::string many;
  for (int i = 0; i < 300; ++i) many += "$a ";
  CHECK(reason(many + "$status").find("more than") == 0);
}

TEST_CASE("hostile lines", "[access_format]") {
  AccessFormat f = compiled(kUpstreamTime);
  AccessFields v;
  SECTION("a quote inside the request (escape=none) and inside the user agent") {
    REQUIRE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET /a\" 200 b HTTP/1.1\" 502 9 \"-\" "
                    "\"evil\" agent\" rt=0.5 uct=\"0.1\" uht=\"0.2\" urt=\"0.3\"",
                    v));
    CHECK(v[AccessVar::request] == "GET /a\" 200 b HTTP/1.1");
    CHECK(v[AccessVar::status] == "502");
    CHECK(v[AccessVar::http_user_agent] == "evil\" agent");
    CHECK(v[AccessVar::upstream_response_time] == "0.3");
  }
  SECTION("escape=json quotes and nginx's \\xHH stay as written") {
    REQUIRE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET /\\\" 200 x\" 504 9 \"-\" "
                    "\"a\\x22b\" rt=0.5 uct=\"-\" uht=\"-\" urt=\"-\"",
                    v));
    CHECK(v[AccessVar::request] == "GET /\\\" 200 x");
    CHECK(v[AccessVar::status] == "504");
    CHECK(v[AccessVar::http_user_agent] == "a\\x22b");
  }
  SECTION("cut short after the status: read; before it: not") {
    REQUIRE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 157 \"-\" \"curl/7", v));
    CHECK(v[AccessVar::status] == "502");
    CHECK(v[AccessVar::http_user_agent] == "curl/7");
    CHECK(v[AccessVar::upstream_response_time].empty());
    CHECK(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502", v));
    CHECK_FALSE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 50", v));
    CHECK_FALSE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HT", v));
    CHECK_FALSE(f.match("", v));
  }
  SECTION("missing or malformed fields") {
    CHECK_FALSE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" abc 1 \"-\" \"-\" rt=1 "
                        "uct=\"-\" uht=\"-\" urt=\"-\"",
                        v));
    CHECK_FALSE(f.match("10.0.0.1 - - [yesterday] \"GET / HTTP/1.1\" 502 1 \"-\" \"-\" rt=1 uct=\"-\" uht=\"-\" urt=\"-\"", v));
    CHECK_FALSE(f.match("2024/01/15 10:23:45 [error] 31#31: *7 connect() failed (111: Connection refused)", v));
    CHECK_FALSE(f.match("- - - [] \"\"   \"\" \"\"", v));
    // Text after the format's end: another format.
    CHECK_FALSE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 1 \"-\" \"-\" rt=1 "
                        "uct=\"-\" uht=\"-\" urt=\"-\" extra",
                        v));
  }
  SECTION("very long lines, and many decoys, stay cheap") {
    std::string agent(1 << 20, 'a');
    for (size_t i = 0; i < agent.size(); i += 7) agent[i] = '"';
    REQUIRE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 1 \"-\" \"" + agent +
                        "\" rt=1 uct=\"-\" uht=\"-\" urt=\"-\"",
                    v));
    CHECK(v[AccessVar::http_user_agent].size() == agent.size());
    std::string decoys;
    for (int i = 0; i < 100000; ++i) decoys += "\" ";
    CHECK_FALSE(f.match("10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET " + decoys + " x", v));
  }
}

TEST_CASE("the line decoder reads custom-format lines first", "[access_format]") {
  AccessFormat f = compiled("$host [$time_local] $remote_addr \"$request\" $status $upstream_status cause=$gw502_cause");
  LineDecoder dec;
  dec.set_access_format(&f);
  Event ev;
  const std::string line =
      "a.test [15/Jan/2024:10:23:45 +0000] 10.0.0.1 \"GET / HTTP/1.1\" 502 502 cause=connection_refused";
  Decoded d = dec.decode(line, line, kAllFamilies, ev);
  CHECK(d.kind == LineKind::access);
  CHECK(d.match == "access_format status=502 upstream_status=502");
  CHECK(d.cause == "connection_refused");
  CHECK(ev.host == "a.test");
  // Lines in other formats go to the usual decoders.
  const std::string err = test::refused_line();
  CHECK(dec.decode(err, err, kAllFamilies, ev).kind == LineKind::error);
  // Not with --proxy traefik.
  CHECK(dec.decode(line, line, family_bit(LogFamily::traefik), ev).kind == LineKind::none);
}
