#include "report/report_fixture.hpp"
#include "report/report.hpp"
#include "scan/source_info.hpp"

using namespace gw502;
using gw502::test::ReportFixture;

TEST_CASE("the text report names site, upstream, cause, evidence and the proxy's fix", "[report]") {
  ReportFixture f;
  f.scan("/data/logs/proxy-host-7_error.log",
         test::refused_line("http://127.0.0.1:3000/", "app.example.com") + "\n");
  ReportOptions opt;
  opt.naive_utc = true;
  std::string text = render_text(f.cat, f.agg, f.run, opt);
  CHECK(text.find("1 failed request in 1 source") != std::string::npos);
  CHECK(text.find("read as UTC") != std::string::npos);
  // The summary line: count, cause, site, upstream, time.
  CHECK(text.find("      1  connection_refused         NPM #7 app.example.com        127.0.0.1:3000") !=
        std::string::npos);
  CHECK(text.find("Sites: NPM #7 app.example.com (1)") != std::string::npos);
  CHECK(text.find("proxy-host-7_error.log:1:") != std::string::npos);
  CHECK(text.find("Fix (Nginx Proxy Manager):") != std::string::npos);
  CHECK(text.find("check Forward Port") != std::string::npos);
  CHECK(text.find("Note (NPM #7 app.example.com):\n    loopback") != std::string::npos);
  CHECK(text.find("\x1b[") == std::string::npos);
  opt.color = true;
  CHECK(render_text(f.cat, f.agg, f.run, opt).find("\x1b[") != std::string::npos);
  // --verbose: the detail per site and upstream.
  opt.color = false;
  opt.verbose = true;
  std::string detail = render_text(f.cat, f.agg, f.run, opt);
  CHECK(detail.find("NPM proxy host #7 · app.example.com") != std::string::npos);
  CHECK(detail.find("upstream 127.0.0.1:3000") != std::string::npos);
  CHECK(detail.find("connection_refused  x1") != std::string::npos);
  CHECK(detail.find("Note: loopback") != std::string::npos);
  // --brief: the summary only.
  opt.verbose = false;
  opt.brief = true;
  CHECK(render_text(f.cat, f.agg, f.run, opt).find("Fix (") == std::string::npos);
}

TEST_CASE("control characters from the log never reach the terminal", "[report]") {
  ReportFixture f;
  f.scan("e.log", test::refused_line("http://10.0.0.1:80/", "evil\x1b]0;title\x07.example") + "\n");
  std::string text = render_text(f.cat, f.agg, f.run, ReportOptions{});
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
}

TEST_CASE("the JSON report is one valid document with escaped text", "[report]") {
  ReportFixture f;
  f.scan("e.log", test::refused_line("http://10.0.0.1:80/", "bad\"host\xff") + "\n");
  std::string json = render_json(f.cat, f.agg, f.run);
  // Version 3: the group is a row of `fields`: proxy, site, host, upstream,
  // cause, count, first, last (seconds since 1970), utc, ...
  CHECK(json.find("\"rows\":[[\"nginx\",\"\",\"bad\\\"host\\ufffd\",\"10.0.0.1:80\",\"connection_refused\",1,"
                  "1705314225,1705314225,true,") != std::string::npos);
  CHECK(json.find("\"fields\":[\"proxy\",\"site\",\"host\",\"upstream\",\"cause\",\"count\",\"first\",") !=
        std::string::npos);
  CHECK(json.find("\"window\":{\"first\":\"2024-01-15T10:23:45Z\"") != std::string::npos);
  CHECK(json.back() == '\n');
}

TEST_CASE("an event is one NDJSON line", "[report]") {
  Catalogue cat = test::mini_catalogue();
  Event ev;
  ev.upstream = "10.0.0.1:80";
  ev.time = 86400;
  SourceInfo src = describe_source("x.log", nullptr);
  std::string out;
  append_event_json(out, cat, src, 12, ev, cat.find_rule("t.refused"), cat.find_cause("connection_refused"), "h");
  CHECK(out ==
        "{\"source\":\"x.log\",\"line\":12,\"proxy\":\"nginx\",\"site\":\"\",\"cause\":\"connection_refused\","
        "\"rule\":\"t.refused\",\"upstream\":\"10.0.0.1:80\",\"host\":\"h\",\"time\":\"1970-01-02T00:00:00\","
        "\"level\":\"\",\"status\":null,\"message\":\"\",\"client\":\"\",\"request\":\"\"}\n");
}

TEST_CASE("explain and list-causes", "[report]") {
  Catalogue cat = test::mini_catalogue();
  CHECK(render_cause_list(cat).find("connection_refused  refused\n") == 0);
  std::string ex = render_explain(cat, cat.find_cause("connection_refused"));
  CHECK(ex.find("Fix for Nginx Proxy Manager:\n  - check Forward Port") != std::string::npos);
  CHECK(ex.find("Rules: t.refused") != std::string::npos);
}

// Issue 19, D6: data a follow run could not read is said in every report.
TEST_CASE("bytes lost to rotation are reported, and only when there are some", "[report][follow]") {
  ReportFixture f;
  f.scan("error.log", test::refused_line("http://127.0.0.1:3000/", "a.test") + "\n");
  ReportOptions opt;
  opt.naive_utc = true;
  CHECK(render_text(f.cat, f.agg, f.run, opt).find("truncated away") == std::string::npos);
  CHECK(render_json(f.cat, f.agg, f.run, opt).find("lost_bytes") == std::string::npos);
  f.run.lost_bytes = 123456;
  const std::string warning = "warning: 123,456 bytes of followed files were truncated away before they were read";
  CHECK(render_text(f.cat, f.agg, f.run, opt).find(warning) != std::string::npos);
  opt.verbose = true;
  CHECK(render_text(f.cat, f.agg, f.run, opt).find(warning) != std::string::npos);
  CHECK(render_json(f.cat, f.agg, f.run, opt).find("\"lost_bytes\":123456") != std::string::npos);
}
