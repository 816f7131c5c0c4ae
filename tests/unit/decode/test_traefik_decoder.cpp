// Traefik's log forms across versions (lines from corpus/traefik, see its
// SOURCES.md), and the Go-error rules of the embedded catalogue.
#include "classify/classifier.hpp"
#include "helpers.hpp"
#include "decode/line_decoder.hpp"
#include "base/timeparse.hpp"
#include "decode/unwrap.hpp"

using namespace gw502;

namespace {

Decoded decode(LineDecoder& d, std::string_view raw, Event& ev, unsigned families = kAllFamilies) {
  std::string_view text = unwrap_line(raw);
  return d.decode(raw, text, families, ev);
}

// The cause the embedded catalogue gives a Go proxy's error text.
std::string go_cause(Classifier& cls, LogFamily f, std::string_view err) {
  int r = cls.classify(f, false, err);
  if (r < 0) return "-";
  const Rule& rule = cls.catalogue().rules()[static_cast<size_t>(r)];
  return rule.ignore ? "-" : cls.catalogue().causes()[static_cast<size_t>(rule.cause)].id;
}

}  // namespace

TEST_CASE("Traefik v1/v2 logrus text", "[traefik]") {
  LineDecoder d;
  Event ev;
  Decoded r = decode(d, R"J(time="2019-07-11T14:13:53Z" level=debug msg="'504 Gateway Timeout' caused by: dial tcp 10.255.2.192:8080: i/o timeout")J", ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::traefik);
  CHECK(r.match == "dial tcp 10.255.2.192:8080: i/o timeout");
  CHECK(ev.status == 504);
  CHECK(ev.level == "debug");
  CHECK(ev.upstream == "10.255.2.192:8080");
  CHECK(format_iso(ev.time, ev.time_is_utc) == "2019-07-11T14:13:53Z");
  SECTION("escaped quotes and backslashes inside msg") {
    r = decode(d, R"J(time="2021-01-01T00:00:00Z" level=debug msg="'502 Bad Gateway' caused by: net/http: HTTP/1.x transport connection broken: malformed HTTP response \"\\x15\\x03\\x01\\x00\\x02\\x02\"")J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == R"J(net/http: HTTP/1.x transport connection broken: malformed HTTP response "\x15\x03\x01\x00\x02\x02")J");
  }
  SECTION("v1: Error forwarding to URL") {
    r = decode(d, R"J(time="2017-10-27T21:44:46Z" level=warning msg="Error forwarding to http://10.42.24.15:80, err: context canceled")J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "context canceled");
    CHECK(ev.upstream == "10.42.24.15:80");
  }
  SECTION("forward auth names the auth service") {
    r = decode(d, R"J(time="2022-01-01T00:00:00Z" level=debug msg="Error calling http://auth:9091/api/verify. Cause: Get \"http://auth:9091/api/verify\": dial tcp: lookup auth on 127.0.0.11:53: no such host" middlewareName=auth@docker middlewareType=ForwardedAuthType)J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == R"J(Get "http://auth:9091/api/verify": dial tcp: lookup auth on 127.0.0.11:53: no such host)J");
    CHECK(ev.upstream == "auth:9091");
  }
  SECTION("on a terminal, with colours") {
    r = decode(d, "\x1b[37mDEBU\x1b[0m[2021-06-01T10:00:00Z] '502 Bad Gateway' caused by: EOF                ", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "EOF");
    CHECK(ev.level == "DEBU");
  }
  SECTION("no proxy error") {
    CHECK(decode(d, R"J(time="2023-03-10T08:55:40Z" level=debug msg="http: TLS handshake error from 10.0.0.1:4418: remote error: tls: bad certificate")J", ev)
              .kind == LineKind::none);
    CHECK(decode(d, R"J(time="2020-04-05T00:29:20+02:00" level=debug msg="Creating server 0 http://192.168.176.2:8080" serviceName=swagger)J", ev)
              .kind == LineKind::none);
  }
}

TEST_CASE("Traefik v3 zerolog console", "[traefik]") {
  LineDecoder d;
  Event ev;
  Decoded r = decode(d, R"J(2025-02-28T14:19:02Z DBG github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:117 > 500 Internal Server Error error="tls: failed to verify certificate: x509: certificate signed by unknown authority")J", ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.match == "tls: failed to verify certificate: x509: certificate signed by unknown authority");
  CHECK(ev.status == 500);
  CHECK(ev.level == "DBG");
  CHECK(format_iso(ev.time, ev.time_is_utc) == "2025-02-28T14:19:02Z");
  SECTION("docker logs -t and compose prefixes take Traefik's own time with them") {
    r = decode(d, R"J(traefik-1  | 2024-05-03T10:00:00.123456789Z 2024-05-03T10:00:00Z DBG proxy.go:113 > 502 Bad Gateway error="dial tcp 172.18.0.3:80: connect: connection refused")J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(ev.upstream == "172.18.0.3:80");
    CHECK(format_iso(ev.time, ev.time_is_utc) == "2024-05-03T10:00:00Z");
  }
  SECTION("forward auth with error= and trailing fields") {
    r = decode(d, R"J(2025-11-04T11:22:57Z ERR github.com/traefik/traefik/v3/pkg/middlewares/auth/forward.go:230 > Error calling http://auth.internal:8080/check error="Get \"http://auth.internal:8080/check\": dial tcp: lookup auth.internal on 127.0.0.11:53: no such host" middlewareName=auth@swarm middlewareType=ForwardAuth)J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == R"J(Get "http://auth.internal:8080/check": dial tcp: lookup auth.internal on 127.0.0.11:53: no such host)J");
    CHECK(ev.upstream == "auth.internal:8080");
  }
  SECTION("unquoted error after a bar") {
    r = decode(d, "2025-07-07T15:46:15Z DBG httputil/proxy.go:121 > 502 Bad Gateway | error=dial tcp 10.0.0.9:53007: connect: no route to host", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "dial tcp 10.0.0.9:53007: connect: no route to host");
  }
  SECTION("other entries") {
    CHECK(decode(d, "2025-01-04T16:09:37Z INF Starting provider *docker.Provider", ev).kind == LineKind::none);
    CHECK(decode(d, "DBG > Service selected by WRR: 66f2e65a52593a36", ev).kind == LineKind::none);
  }
}

TEST_CASE("Traefik JSON: logrus (v2), zerolog (v3), access log", "[traefik]") {
  LineDecoder d;
  Event ev;
  Decoded r = decode(d, R"J({"level":"debug","msg":"'502 Bad Gateway' caused by: EOF","time":"2021-12-06T10:00:00Z"})J", ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.match == "EOF");
  r = decode(d, R"J({"level":"debug","error":"dial tcp 10.0.0.5:80: i/o timeout","time":"2024-05-03T10:00:00Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:113","message":"504 Gateway Timeout"})J", ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.match == "dial tcp 10.0.0.5:80: i/o timeout");
  CHECK(ev.status == 504);
  CHECK(decode(d, R"J({"level":"error","providerName":"docker","error":"dial tcp: lookup socket-proxy on 127.0.0.11:53: no such host","time":"2026-04-24T13:11:43Z","message":"Failed to retrieve information of the docker client and server host"})J", ev)
            .kind == LineKind::none);
  SECTION("access, v3: ServiceURL a string") {
    std::string line = R"J({"ClientHost":"203.0.113.9","DownstreamStatus":502,"OriginStatus":502,"RequestHost":"web.example.com","RequestPath":"/api","RouterName":"web@docker","ServiceName":"web@docker","ServiceURL":"http://10.92.0.5:8080","StartUTC":"2026-10-06T10:00:00.5Z","level":"info","msg":"","time":"2026-10-06T10:00:00Z"})J";
    r = decode(d, line, ev);
    REQUIRE(r.kind == LineKind::access);
    CHECK(r.match == line);
    CHECK(ev.status == 502);
    CHECK(ev.host == "web.example.com");
    CHECK(ev.server == "web@docker");
    CHECK(ev.upstream == "10.92.0.5:8080");
    CHECK(ev.message == "RouterName=web@docker ServiceName=web@docker ServiceURL=http://10.92.0.5:8080");
  }
  SECTION("access, v2: ServiceURL a url.URL object; OriginStatus decides when DownstreamStatus was rewritten") {
    r = decode(d, R"J({"DownstreamStatus":503,"OriginStatus":504,"RouterName":"r@file","ServiceURL":{"Scheme":"http","Opaque":"","User":null,"Host":"172.18.0.3:80","Path":""},"level":"info","msg":"","time":"2021-01-01T00:00:00Z"})J", ev);
    REQUIRE(r.kind == LineKind::access);
    CHECK(ev.status == 504);
    CHECK(ev.upstream == "172.18.0.3:80");
  }
  SECTION("access with the failure's cause (OriginError)") {
    r = decode(d, R"J({"DownstreamStatus":502,"OriginStatus":502,"OriginError":"dial tcp 10.0.0.5:80: connect: connection refused","RouterName":"r@docker","ServiceURL":"http://10.0.0.5:80"})J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "dial tcp 10.0.0.5:80: connect: connection refused");
  }
}

TEST_CASE("Traefik's common access format", "[traefik]") {
  LineDecoder d;
  Event ev;
  std::string line = R"J(172.19.0.2 - - [05/Oct/2026:13:17:07 +0000] "GET / HTTP/2.0" 502 11 "-" "-" 992 "websecure-shop@kubernetes" "http://10.244.1.12:8080" 0ms)J";
  Decoded r = decode(d, line, ev);
  REQUIRE(r.kind == LineKind::access);
  CHECK(r.family == LogFamily::traefik);
  CHECK(ev.status == 502);
  CHECK(ev.server == "websecure-shop@kubernetes");
  CHECK(ev.upstream == "10.244.1.12:8080");
  CHECK(format_iso(ev.time, true) == "2026-10-05T13:17:07Z");
  // nginx's combined format stays nginx's; with --proxy traefik it is Traefik's generic CLF.
  std::string combined = R"J(10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] "GET / HTTP/1.1" 502 157 "-" "curl/8.0")J";
  CHECK(decode(d, combined, ev).family == LogFamily::nginx);
  r = decode(d, combined, ev, family_bit(LogFamily::traefik));
  CHECK(r.kind == LineKind::access);
  CHECK(r.family == LogFamily::traefik);
}

TEST_CASE("Go errors map to causes, the same for Caddy and Traefik", "[traefik][caddy]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  const std::pair<const char*, const char*> cases[] = {
      {"dial tcp 172.18.0.5:3000: connect: connection refused", "connection_refused"},
      {"dial tcp 10.0.0.5:80: getsockopt: connection refused", "connection_refused"},
      {"dial tcp 10.0.0.5:80: i/o timeout", "connect_timeout"},
      {"dial tcp 10.0.0.5:80: connect: connection timed out", "connect_timeout"},
      {"dial tcp: lookup app on 127.0.0.11:53: no such host", "dns_failure"},
      {"dial tcp: lookup app on 127.0.0.11:53: server misbehaving", "dns_failure"},
      {"dial tcp: lookup app on 127.0.0.11:53: read udp 127.0.0.1:1->127.0.0.11:53: i/o timeout", "dns_failure"},
      {"dial tcp 10.0.0.5:80: connect: network is unreachable", "network_unreachable"},
      {"dial tcp 10.0.0.5:80: connect: no route to host", "network_unreachable"},
      {"tls: first record does not look like a TLS handshake", "tls_to_plain_backend"},
      {"http: server gave HTTP response to HTTPS client", "tls_to_plain_backend"},
      {R"J(net/http: HTTP/1.x transport connection broken: malformed HTTP response "\x15\x03\x01\x00\x02\x02")J", "plain_to_tls_backend"},
      {R"J(net/http: HTTP/1.x transport connection broken: malformed HTTP response "-ERR unknown command")J", "invalid_upstream_response"},
      {"x509: certificate signed by unknown authority", "tls_verify_failed"},
      {"tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-01-01T00:00:00Z is after 2020-01-31T00:00:00Z", "tls_verify_failed"},
      {"x509: certificate is valid for localhost, not other.example", "tls_verify_failed"},
      {"remote error: tls: handshake failure", "tls_handshake_failed"},
      {"net/http: TLS handshake timeout", "tls_handshake_failed"},
      {"EOF", "upstream_reset"},
      {"unexpected EOF", "upstream_reset"},
      {"read tcp 10.0.0.2:4711->10.0.0.5:80: read: connection reset by peer", "upstream_reset"},
      {"write tcp 10.0.0.2:4711->10.0.0.5:80: write: broken pipe", "upstream_reset"},
      {"http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR, debug=\"\"", "upstream_reset"},
      {"context canceled", "client_closed"},
      {"net/http: timeout awaiting response headers", "read_timeout"},
      {"context deadline exceeded", "read_timeout"},
      {"no upstreams available", "no_live_upstreams"},
      {"dial tcp 10.0.0.5:80: socket: too many open files", "resource_exhaustion"},
      {"dial unix /run/app.sock: connect: no such file or directory", "unix_socket_missing"},
      {"dial unix /run/app.sock: connect: permission denied", "permission_denied"},
      {"net/http: server response headers exceeded 4096 bytes; aborted", "header_too_big"},
      {"fcgi: invalid header version", "invalid_upstream_response"},
      {"making dial info: upstream {x}: invalid dial address", "proxy_internal_error"},
      {"something no rule knows", "unclassified"},
  };
  for (auto& [err, want] : cases) {
    INFO(err);
    CHECK(go_cause(cls, LogFamily::caddy, err) == want);
    CHECK(go_cause(cls, LogFamily::traefik, err) == want);
  }
  // The nginx family is untouched by the Go rules.
  CHECK(go_cause(cls, LogFamily::nginx, "dial tcp 1.2.3.4:5: connect: connection refused") == "-");
}

TEST_CASE("Go's standard log, TCP routers and v1 websockets", "[traefik][wild2]") {
  LineDecoder d;
  Event ev;
  SECTION("httputil's own line, with file and line") {
    Decoded r = decode(d, "2020/03/02 11:22:33 reverseproxy.go:418: httputil: ReverseProxy read error during body copy: read tcp 10.0.0.2:40000->10.0.0.9:80: read: connection reset by peer", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.family == LogFamily::traefik);
    CHECK(r.match == "read error during body copy: read tcp 10.0.0.2:40000->10.0.0.9:80: read: connection reset by peer");
    CHECK(format_iso(ev.time, false).rfind("2020-03-02T11:22:33", 0) == 0);
  }
  SECTION("the same line passed on in a v3 JSON message") {
    Decoded r = decode(d, R"J({"level":"debug","time":"2024-05-06T07:08:09Z","message":"2024/05/06 07:08:09 reverseproxy.go:677: httputil: ReverseProxy read error during body copy: unexpected EOF"})J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "read error during body copy: unexpected EOF");
  }
  SECTION("httputil's default error handler") {
    Decoded r = decode(d, "2019/01/02 03:04:05 http: proxy error: dial tcp 127.0.0.1:8080: connect: connection refused", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(ev.upstream == "127.0.0.1:8080");
  }
  SECTION("a TCP router behind a pod-name prefix") {
    Decoded r = decode(d, R"J(proxy-5c8d9-abcde {"level":"error","msg":"Error during connection: readfrom tcp 10.1.0.5:443->10.1.2.3:5000: write: broken pipe","time":"2023-02-03T04:05:06Z"})J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "readfrom tcp 10.1.0.5:443->10.1.2.3:5000: write: broken pipe");
  }
  SECTION("v1 websocket dial, inner quotes that lost their backslashes") {
    Decoded r = decode(d, R"J([edge-2]2019-04-05T06:07:08.9Z time="2019-04-05T06:07:08Z" level=error msg="vulcand/oxy/forward/websocket: Error dialing "chat.internal": websocket: bad handshake" )J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "websocket: bad handshake");
    CHECK(ev.upstream == "chat.internal");
  }
  SECTION("not Go's log: nginx's own time and level") {
    Decoded r = decode(d, "2019/01/02 03:04:05 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.2:80/\", host: \"a\"", ev);
    CHECK(r.family == LogFamily::nginx);
  }
}
