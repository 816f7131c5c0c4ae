#include <regex>

#include "report/html_report.hpp"
#include "report/report_fixture.hpp"

using namespace gw502;
using gw502::test::ReportFixture;

namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

std::string line_at(int minute, const char* upstream, const char* host) {
  std::string l = test::refused_line(upstream, host);
  return l.replace(14, 2, (minute < 10 ? "0" : "") + std::to_string(minute)) + "\n";  // 10:MM:45
}

}  // namespace

TEST_CASE("the HTML report: one page with table, timeline, causes, evidence and data", "[report]") {
  ReportFixture f;
  std::string log;
  for (int m : {0, 1, 2, 30}) log += line_at(m, "http://127.0.0.1:3000/", "app.example.com");
  log += line_at(5, "http://10.0.0.9:80/", "other.example");
  f.scan("/data/logs/proxy-host-7_error.log", log);
  ReportOptions opt;
  opt.naive_utc = true;
  const std::string html = render_html(f.cat, f.agg, f.run, opt);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("</html>\n") == html.size() - 8);
  CHECK(html.find("<h1>gw502-logs: 5 failed requests</h1>") != std::string::npos);
  // Two groups, one row each; two (site, cause) timeline rows.
  CHECK(count(html, "<tr class=\"grp\" data-kind=\"failure\"") == 2);
  CHECK(count(html, "<g class=\"tl-row") == 2);
  CHECK(html.find("data-site=\"NPM #7 app.example.com\" data-cause=\"connection_refused\" data-count=\"4\"") !=
        std::string::npos);
  // 10:00 .. 10:30 is 31 one-minute slots; app had failures in 4 of them, other in 1.
  CHECK(html.find("data-slot-minutes=\"1\"") != std::string::npos);
  CHECK(count(html, "<rect class=\"pt\"") == 5);
  CHECK(html.find("data-start=\"2024-01-15T10:30:00Z\"") != std::string::npos);
  // Each cause once per proxy, with the NPM fix and the evidence line.
  CHECK(count(html, "<section class=\"fix\" id=\"cause-connection_refused-npm\">") == 1);
  CHECK(html.find("<li>check Forward Port</li>") != std::string::npos);
  CHECK(html.find("<span class=\"src\">/data/logs/proxy-host-7_error.log:1:</span>") != std::string::npos);
  CHECK(html.find("<p class=\"note\"><b>Note:</b> loopback</p>") != std::string::npos);
  // Self-contained: no URL is fetched; the JSON report is embedded.
  CHECK(html.find("default-src 'none'") != std::string::npos);
  CHECK(!std::regex_search(html, std::regex("(src|href)=\"(https?:)?//")));
  CHECK(html.find("<script type=\"application/json\" id=\"gw502-report\">{\"version\":3,") != std::string::npos);
  CHECK(html.find("http-equiv=\"refresh\"") == std::string::npos);
}

TEST_CASE("the HTML report escapes what the log says", "[report]") {
  ReportFixture f;
  f.scan("e.log", test::refused_line("http://10.0.0.1:80/", "<img src=x onerror=alert(1)>\"'.example") + "\n" +
                      test::refused_line("http://10.0.0.2:80/", "</script><script>alert(2)</script>") + "\n");
  const std::string html = render_html(f.cat, f.agg, f.run);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;.example") != std::string::npos);
  // One inline script, one data block: the log cannot close or open one.
  CHECK(count(html, "<script") == 2);
  CHECK(count(html, "</script>") == 2);
  CHECK(html.find("\\u003c/script>\\u003cscript>alert(2)") != std::string::npos);
}

TEST_CASE("the HTML report follows --redact, the filters and --top", "[report]") {
  ReportFixture f;
  std::string log;
  for (int i = 0; i < 3; ++i) log += line_at(i, ("http://10.0.0." + std::to_string(i + 1) + ":80/").c_str(), "a.example");
  log += line_at(4, "http://10.0.0.9:80/", "b.example");
  f.scan("e.log", log);
  ReportOptions opt;
  opt.redact = true;
  std::string html = render_html(f.cat, f.agg, f.run, opt);
  CHECK(html.find("client: 10.0.0.1") == std::string::npos);
  CHECK(html.find("client: &lt;client&gt;") != std::string::npos);
  opt.top = 2;
  html = render_html(f.cat, f.agg, f.run, opt);
  CHECK(count(html, "<tr class=\"grp\"") == 2);
  CHECK(html.find("2 more rows (--top 0 shows all)") != std::string::npos);
  opt.top = 0;
  opt.site = "b.example";
  html = render_html(f.cat, f.agg, f.run, opt);
  CHECK(count(html, "<tr class=\"grp\"") == 1);
  CHECK(count(html, "<g class=\"tl-row") == 1);
  CHECK(html.find("sites containing &ldquo;b.example&rdquo;") != std::string::npos);
  HtmlPage live;
  live.refresh_s = 5;
  live.now = 1705314300;
  html = render_html(f.cat, f.agg, f.run, ReportOptions{}, live);
  CHECK(html.find("<meta http-equiv=\"refresh\" content=\"5\">") != std::string::npos);
  CHECK(html.find("Live: as of 2024-01-15T10:25:00Z") != std::string::npos);
}

TEST_CASE("the HTML report without failures", "[report]") {
  ReportFixture f;
  f.scan("e.log", "2024/01/15 10:23:45 [notice] 1#1: signal process started\n");
  const std::string html = render_html(f.cat, f.agg, f.run);
  CHECK(html.find("<h1>gw502-logs: no upstream failures</h1>") != std::string::npos);
  CHECK(html.find("<svg") == std::string::npos);
  CHECK(count(html, "<tr class=\"grp\"") == 0);
}
