// Caddy's log forms, the shared Go-error helpers, format detection, and the
// Go proxies end to end through the Scanner. Lines are Caddy 2.6.2's own
// (corpus/caddy), shortened where the fields do not matter.
#include "aggregate/aggregator.hpp"
#include "classify/classifier.hpp"
#include "decode/go_error.hpp"
#include "gw502/gw502.h"
#include "helpers.hpp"
#include "decode/line_decoder.hpp"
#include "scan/scanner.hpp"
#include "base/timeparse.hpp"
#include "scan/source_info.hpp"

using namespace gw502;

namespace {

const unsigned kAll = kAllFamilies;

Decoded decode(LineDecoder& d, std::string_view line, Event& ev, unsigned families = kAll) {
  return d.decode(line, line, families, ev);
}

const std::string kRefused =
    R"J({"level":"error","ts":1795547679.9480283,"logger":"http.log.error.log0","msg":"dial tcp 127.0.0.1:56425: connect: connection refused","request":{"remote_ip":"127.0.0.1","remote_port":"37880","proto":"HTTP/1.1","method":"GET","host":"app.example:8080","uri":"/api","headers":{"User-Agent":["curl/7.88.1"]}},"duration":0.000298772,"status":502,"err_id":"9b01p857t","err_trace":"reverseproxy.statusError (reverseproxy.go:1272)"})J";

}  // namespace

TEST_CASE("a Caddy http.log.error entry is an error event with host and upstream", "[caddy]") {
  LineDecoder d;
  Event ev;
  Decoded r = decode(d, kRefused, ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::caddy);
  CHECK(r.match == "dial tcp 127.0.0.1:56425: connect: connection refused");
  CHECK(ev.message == r.match);
  CHECK(ev.upstream == "127.0.0.1:56425");
  CHECK(ev.host == "app.example:8080");
  CHECK(ev.client == "127.0.0.1");
  CHECK(ev.request == "/api");
  CHECK(ev.status == 502);
  CHECK(ev.level == "error");
  CHECK(ev.time_is_utc);
  CHECK(format_iso(ev.time, true) == "2026-11-24T19:14:39Z");
}

TEST_CASE("Caddy entries that count and those that do not", "[caddy]") {
  LineDecoder d;
  Event ev;
  SECTION("handle_errors logs the error at debug level: the level is not looked at") {
    std::string s = kRefused;
    s.replace(s.find("\"error\""), 7, "\"debug\"");
    CHECK(decode(d, s, ev).kind == LineKind::error);
  }
  SECTION("a 404 of the file server is no upstream failure") {
    CHECK(decode(d, R"J({"level":"debug","ts":1.7e9,"logger":"http.log.error","msg":"{id=x} fileserver.(*FileServer).notFound (staticfiles.go:539): HTTP 404","status":404,"err_trace":"fileserver.(*FileServer).notFound (staticfiles.go:539)"})J", ev)
              .kind == LineKind::none);
  }
  SECTION("a 500 from reverse_proxy counts by its trace") {
    Decoded r = decode(d, R"J({"level":"error","ts":1.7e9,"logger":"http.log.error","msg":"making dial info: upstream {x}: invalid dial address","status":500,"err_trace":"reverseproxy.(*Handler).proxyLoopIteration (reverseproxy.go:480)"})J", ev);
    CHECK(r.kind == LineKind::error);
  }
  SECTION("handle_errors that failed too: the first error is the cause") {
    Decoded r = decode(d, R"J({"level":"error","ts":1.7e9,"logger":"http.log.error.log1","msg":"error handling handler error","request":{"host":"h"},"error":"{id=a} reverseproxy.statusError (reverseproxy.go:1272): HTTP 502: dial tcp 127.0.0.1:2: connect: connection refused","first_error":{"msg":"dial tcp 127.0.0.1:1: connect: connection refused","status":502,"err_id":"b","err_trace":"reverseproxy.statusError (reverseproxy.go:1272)"}})J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "dial tcp 127.0.0.1:1: connect: connection refused");
    CHECK(ev.upstream == "127.0.0.1:1");
    CHECK(ev.status == 502);
  }
  SECTION("the upstream roundtrip entry repeats the error entry") {
    CHECK(decode(d, R"J({"level":"debug","ts":1.7e9,"logger":"http.handlers.reverse_proxy","msg":"upstream roundtrip","upstream":"127.0.0.1:1","error":"dial tcp 127.0.0.1:1: connect: connection refused"})J", ev)
              .kind == LineKind::duplicate);
  }
  SECTION("aborting with incomplete response: the error field, the upstream field") {
    Decoded r = decode(d, R"J({"level":"error","ts":1.7e9,"logger":"http.handlers.reverse_proxy","msg":"aborting with incomplete response","upstream":"10.0.0.5:8080","error":"unexpected EOF"})J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "unexpected EOF");
    CHECK(ev.upstream == "10.0.0.5:8080");
  }
  SECTION("a unix socket upstream reads like nginx's") {
    Decoded r = decode(d, R"J({"level":"error","ts":1.7e9,"logger":"http.log.error","msg":"dial unix /run/app.sock: connect: no such file or directory","status":502})J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(ev.upstream == "unix:/run/app.sock");
  }
  SECTION("ts as an ISO string (format json { time_format iso8601 })") {
    Decoded r = decode(d, R"J({"level":"error","ts":"2026-11-24T19:33:35.732Z","logger":"http.log.error.log0","msg":"EOF","status":502})J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(format_iso(ev.time, ev.time_is_utc) == "2026-11-24T19:33:35Z");
  }
  SECTION("startup chatter") {
    CHECK(decode(d, R"J({"level":"info","ts":1795547679.9468436,"msg":"serving initial configuration"})J", ev).kind ==
          LineKind::none);
  }
}

TEST_CASE("Caddy access entries carry the status and the bridge's cause", "[caddy]") {
  LineDecoder d;
  Event ev;
  std::string tagged =
      R"J({"level":"error","ts":1795548042.293114,"logger":"http.log.access.log1","msg":"handled request","request":{"remote_ip":"127.0.0.1","host":"127.0.0.1:18082","uri":"/y"},"user_id":"","duration":0.0004,"size":11,"status":502,"resp_headers":{"Server":["Caddy"],"X-Gw502-Cause":["connection_refused"]}})J";
  Decoded r = decode(d, tagged, ev);
  REQUIRE(r.kind == LineKind::access);
  CHECK(r.match == tagged);
  CHECK(r.cause == "connection_refused");
  CHECK(ev.status == 502);
  CHECK(ev.host == "127.0.0.1:18082");
  r = decode(d, R"J({"level":"info","ts":1.7e9,"logger":"http.log.access","msg":"handled request","request":{"host":"h"},"status":504,"resp_headers":{"Server":["Caddy"]}})J", ev);
  REQUIRE(r.kind == LineKind::access);
  CHECK(r.cause.empty());
  CHECK(ev.status == 504);
}

TEST_CASE("Caddy's console format, colours and all", "[caddy]") {
  LineDecoder d;
  Event ev;
  std::string line =
      "2026/11/24 19:20:31.145\t\x1b[31mERROR\x1b[0m\thttp.log.error.log0\tdial tcp 127.0.0.1:1: connect: "
      "connection refused\t{\"request\": {\"remote_ip\": \"127.0.0.1\", \"host\": \"127.0.0.1:18081\", \"uri\": "
      "\"/x\"}, \"duration\": 0.0004, \"status\": 502, \"err_id\": \"y2z\", \"err_trace\": "
      "\"reverseproxy.statusError (reverseproxy.go:1272)\"}";
  Decoded r = decode(d, line, ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::caddy);
  CHECK(r.match == "dial tcp 127.0.0.1:1: connect: connection refused");
  CHECK(ev.level == "ERROR");
  CHECK(ev.host == "127.0.0.1:18081");
  CHECK(ev.upstream == "127.0.0.1:1");
  CHECK(!ev.time_is_utc);
  CHECK(format_iso(ev.time, false) == "2026-11-24T19:20:31");
  // No logger column, no fields.
  CHECK(decode(d, "2026/11/24 19:20:29.154\tINFO\tserving initial configuration", ev).kind == LineKind::none);
  // Broken fields of an entry that could count.
  CHECK(decode(d, "2026/11/24 19:20:31.145\tERROR\thttp.log.error\tEOF\t{\"status\": 50", ev).kind ==
        LineKind::malformed);
}

TEST_CASE("malformed JSON is counted as such, and --proxy nginx does not read JSON", "[caddy]") {
  LineDecoder d;
  Event ev;
  CHECK(decode(d, R"J({"level":"error","ts":1.7e9,"logger":"http.log.error","msg":"EOF" "status":502})J", ev).kind ==
        LineKind::malformed);
  // Cut off where people paste it: what it still says is read.
  CHECK(decode(d, R"J({"level":"error","ts":1.7e9,"logger":"http.log.error","msg":"dial tcp 10.0.0.5:80: connect: connection refused","request":{"remote_ip":"172.18.0.1","remote_port":"64410")J", ev).kind ==
        LineKind::error);
  CHECK(ev.upstream == "10.0.0.5:80");
  CHECK(decode(d, R"J({"level":"error","ts":1.7e9,"logger":"http.log.error","msg":"dialing backend: dial unix /run/php.sock: connect: permission denied","request": [...])J", ev).kind ==
        LineKind::error);
  CHECK(decode(d, kRefused, ev, family_bit(LogFamily::nginx)).kind == LineKind::none);
  CHECK(decode(d, kRefused, ev, family_bit(LogFamily::traefik)).kind == LineKind::none);
  CHECK(decode(d, kRefused, ev, family_bit(LogFamily::caddy)).kind == LineKind::error);
}

TEST_CASE("a JSON line needs no padding after it", "[caddy]") {
  // The line is the exact size of its buffer: the decoder copies it into its
  // own padded buffer (under AddressSanitizer a read past the end would fail).
  std::unique_ptr<char[]> exact(new char[kRefused.size()]);
  std::memcpy(exact.get(), kRefused.data(), kRefused.size());
  std::string_view line(exact.get(), kRefused.size());
  LineDecoder d;
  Event ev;
  CHECK(d.decode(line, line, kAll, ev).kind == LineKind::error);
}

TEST_CASE("docker's json-file driver wraps the proxy's own line", "[caddy]") {
  LineDecoder d;
  Event ev;
  std::string wrapped =
      R"J({"log":"time=\"2020-02-11T12:37:18Z\" level=debug msg=\"'502 Bad Gateway' caused by: dial tcp 172.18.0.5:80: connect: connection refused\"\n","stream":"stdout","time":"2020-02-11T12:37:18.123456789Z"})J";
  Decoded r = decode(d, wrapped, ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::traefik);
  CHECK(r.match == "dial tcp 172.18.0.5:80: connect: connection refused");
  CHECK(ev.upstream == "172.18.0.5:80");
}

TEST_CASE("Go errors name their upstream", "[go]") {
  bool unix = false;
  CHECK(go_error_upstream("dial tcp 172.18.0.5:3000: connect: connection refused", unix) == "172.18.0.5:3000");
  CHECK(go_error_upstream("dial tcp [::1]:8080: i/o timeout", unix) == "[::1]:8080");
  CHECK(go_error_upstream("dial unix /run/app.sock: connect: permission denied", unix) == "/run/app.sock");
  CHECK(unix);
  CHECK(go_error_upstream("dial tcp: lookup backend.lab.test on 127.0.0.11:53: no such host", unix) == "backend.lab.test");
  CHECK(!unix);
  CHECK(go_error_upstream("dial tcp: lookup app: no such host", unix) == "app");
  CHECK(go_error_upstream("read tcp 10.0.0.2:4711->10.0.0.5:80: read: connection reset by peer", unix) == "10.0.0.5:80");
  CHECK(go_error_upstream("Get \"http://auth:9091/verify\": EOF", unix) == "auth:9091");
  CHECK(go_error_upstream("x509: cannot validate certificate for 10.0.0.5 because it doesn't contain any IP SANs", unix) ==
        "10.0.0.5");
  CHECK(go_error_upstream("x509: certificate is valid for localhost, not other.example", unix) == "other.example");
  CHECK(go_error_upstream("EOF", unix).empty());
  CHECK(go_error_upstream("context canceled", unix).empty());
}

TEST_CASE("Go-quoted values lose their escapes", "[go]") {
  std::string out;
  size_t end = 0;
  CHECK(go_unquote(R"J("a \"b\" \\x15\\x03 \t" rest)J", end, out) == "a \"b\" \\x15\\x03 \t");
  CHECK(end == 23);
  CHECK(go_unquote(R"J("\x41\u00e9\101")J", end, out) == "A\xc3\xa9" "A");
  CHECK(go_unquote(R"J("unterminated)J", end, out) == "unterminated");
  CHECK(strip_ansi("\x1b[31mERROR\x1b[0m x", out) == "ERROR x");
}

TEST_CASE("a source's proxy from its first lines", "[detect]") {
  CHECK(detect_source_proxy("{\"level\":\"info\",\"ts\":1.7e9,\"msg\":\"x\"}\n", ProxyKind::nginx) == ProxyKind::caddy);
  CHECK(detect_source_proxy("\n2026/11/24 19:20:29.154\tINFO\tserving initial configuration\n", ProxyKind::nginx) ==
        ProxyKind::caddy);
  CHECK(detect_source_proxy("time=\"2020-01-01T00:00:00Z\" level=info msg=\"Configuration loaded\"\n", ProxyKind::nginx) ==
        ProxyKind::traefik);
  CHECK(detect_source_proxy("traefik-1  | 2025-01-04T16:09:37Z INF Starting provider *docker.Provider\n",
                            ProxyKind::nginx) == ProxyKind::traefik);
  CHECK(detect_source_proxy("1.2.3.4 - - [18/Mar/2022:22:43:07 +0000] \"GET / HTTP/1.1\" 404 19 \"-\" \"-\" 312 \"-\" \"-\" 0ms\n",
                            ProxyKind::nginx) == ProxyKind::traefik);
  CHECK(detect_source_proxy(test::refused_line() + "\n", ProxyKind::npm) == ProxyKind::npm);
  CHECK(detect_source_proxy("", ProxyKind::nginx) == ProxyKind::nginx);
  SourceInfo info = describe_source("/var/log/caddy/caddy.log", nullptr);
  refine_source(info, kRefused + "\n");
  CHECK(info.proxy == ProxyKind::caddy);
  ProxyKind forced = ProxyKind::traefik;
  info = describe_source("x.log", &forced);
  CHECK(info.forced);
  refine_source(info, kRefused + "\n");
  CHECK(info.proxy == ProxyKind::traefik);
}

namespace {

struct Seen final : EventSink {
  std::vector<std::string> rows;  // "line proxy cause upstream"
  const Catalogue* cat = nullptr;
  void on_event(const SourceInfo& src, uint64_t line, const Event& ev, int, int cause, std::string_view) override {
    rows.push_back(std::to_string(line) + " " + proxy_name(src.proxy) + " " +
                   cat->causes()[static_cast<size_t>(cause)].id + " " + std::string(ev.upstream));
  }
};

}  // namespace

TEST_CASE("the Scanner reads Caddy lines in a file taken for nginx, and counts malformed ones", "[caddy][scanner]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  Aggregator agg;
  Seen seen;
  seen.cat = &cat;
  Scanner s(cls, agg, &seen, ScanOptions{});
  std::string access =
      R"J({"level":"error","ts":1.7e9,"logger":"http.log.access.log1","msg":"handled request","request":{"host":"h"},"status":502,"resp_headers":{"X-Gw502-Cause":["tls_verify_failed"]}})J";
  std::string data = "caddy-1  | " + kRefused + "\n" + test::refused_line() + "\n" +
                     R"J({"level":"error","ts":1.7e9,"logger":"http.log.error","msg":"dial tcp 1.2.3.4:5: connect: connection refused" "status":502})J" "\n" +
                     access;  // last line without its newline
  test::StringSource src(data);
  ScanStats stats;
  std::vector<Problem> problems;
  SourceInfo info = describe_source("/var/log/proxy.log", nullptr);
  REQUIRE(s.scan(src, info, 0, stats, problems));
  REQUIRE(seen.rows.size() == 3);
  CHECK(seen.rows[0] == "1 caddy connection_refused 127.0.0.1:56425");
  CHECK(seen.rows[1] == "2 nginx connection_refused 172.18.0.5:3000");
  CHECK(seen.rows[2] == "4 caddy tls_verify_failed ");
  CHECK(stats.malformed == 1);
  CHECK(stats.events == 3);
  ProxyKind nginx = ProxyKind::nginx;
  Scanner s2(cls, agg, nullptr, ScanOptions{});
  test::StringSource src2(data);
  ScanStats st2;
  REQUIRE(s2.scan(src2, describe_source("x.log", &nginx), 0, st2, problems));
  CHECK(st2.events == 1);  // --proxy nginx: only the nginx line
}

TEST_CASE("the C API classifies a Go error for the Caddy bridge", "[caddy][c_api]") {
  char err[256] = "";
  gw502_classifier* c = gw502_classifier_new(nullptr, err, sizeof err);
  REQUIRE(c != nullptr);
  gw502_result r{};
  std::string msg = "dial tcp 172.18.0.5:3000: connect: connection refused";
  REQUIRE(gw502_classify(c, GW502_CADDY, msg.data(), msg.size(), &r) == 1);
  CHECK(std::string(r.cause) == "connection_refused");
  CHECK(std::string(r.rule) == "go.connection_refused");
  CHECK(std::string(r.upstream, r.upstream_len) == "172.18.0.5:3000");
  msg = "net/http: timeout awaiting response headers";
  REQUIRE(gw502_classify(c, GW502_TRAEFIK, msg.data(), msg.size(), &r) == 1);
  CHECK(std::string(r.cause) == "read_timeout");
  CHECK(r.upstream == nullptr);
  gw502_classifier_free(c);
}

TEST_CASE("Caddy entries as people paste them", "[caddy][wild2]") {
  LineDecoder d;
  Event ev;
  SECTION("JSON cut right after the message keeps the message") {
    Decoded r = decode(d, R"J({"level":"error","ts":1700000000.5,"logger":"http.log.error","msg":"dial tcp 10.0.0.7:3000: connect: connection refused")J", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.match == "dial tcp 10.0.0.7:3000: connect: connection refused");
  }
  SECTION("an error entry without a status (a forward-proxy plugin)") {
    Decoded r = decode(d, R"J({"level":"error","ts":1700000000.5,"logger":"http.log.error","msg":"read tcp 10.0.0.2:4000->10.0.0.9:443: read: connection reset by peer","request":{"remote_ip":"10.0.0.1","method":"CONNECT","host":"x:443","uri":"x:443"},"duration":2.5})J", ev);
    REQUIRE(r.kind == LineKind::error);
  }
  SECTION("an error entry whose status is not the proxy's stays out") {
    Decoded r = decode(d, R"J({"level":"error","ts":1700000000.5,"logger":"http.log.error","msg":"open /srv/x: no such file or directory","request":{"remote_ip":"10.0.0.1","method":"GET","host":"x","uri":"/x"},"status":404})J", ev);
    CHECK(r.kind != LineKind::error);
  }
  SECTION("console entry with spaces for tabs") {
    Decoded r = decode(d, "2023/01/02 03:04:05.678 ERROR   http.log.error.log0  dial tcp 172.18.0.4:8096: connect: no route to host {\"request\": {\"remote_ip\": \"10.0.0.1\", \"host\": \"jf.example\", \"uri\": \"/\"}, \"status\": 502}", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(ev.upstream == "172.18.0.4:8096");
    unsigned lines = 0, recognised = 0;
    count_recognised("2023/01/02 03:04:05.678 ERROR   http.log.error.log0  dial tcp 172.18.0.4:8096: connect: no route to host {}\n", lines, recognised);
    CHECK(recognised == 1);
  }
  SECTION("Caddy 1 with Go's log time") {
    Decoded r = decode(d, "2021/06/07 08:09:10 [ERROR 502 /api] dial tcp 127.0.0.1:9000: connect: connection refused", ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.family == LogFamily::caddy);
    CHECK(ev.status == 502);
    CHECK(ev.time != kNoTime);
  }
}
