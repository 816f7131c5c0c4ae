#include "classify/classifier.hpp"

#include <algorithm>
#include "helpers.hpp"
#include "decode/nginx_decoder.hpp"

using namespace gw502;

namespace {

// The cause id the classifier gives a whole nginx error line, "-" for no
// event (no rule, or a noise rule).
std::string cause_of(Classifier& cls, const std::string& line) {
  Event ev;
  if (!decode_nginx_error(line, ev)) return "not-a-line";
  int r = cls.classify(LogFamily::nginx, false, ev.message);
  if (r < 0) return "-";
  const Rule& rule = cls.catalogue().rules()[static_cast<size_t>(r)];
  if (rule.ignore) return "-";
  return cls.catalogue().causes()[static_cast<size_t>(rule.cause)].id;
}

// The cause id the classifier gives a Go proxy's error text, "-" for none.
std::string go_cause(Classifier& cls, LogFamily family, const std::string& text) {
  const int r = cls.classify(family, false, text);
  if (r < 0) return "-";
  const Rule& rule = cls.catalogue().rules()[static_cast<size_t>(r)];
  return cls.catalogue().causes()[static_cast<size_t>(rule.cause)].id;
}

std::string err_line(const std::string& level, const std::string& msg,
                     const std::string& ctx = ", client: 10.0.0.1, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:80/\", host: \"a\"") {
  return "2024/01/15 10:23:45 [" + level + "] 31#31: *7 " + msg + ctx;
}

}  // namespace

TEST_CASE("every shipped rule's regex compiles in its family's set", "[classifier]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat, PrefilterEngine::every_line);
  REQUIRE(cls.ok());
  // Each set is built on first use: use every one.
  for (LogFamily f : {LogFamily::nginx, LogFamily::caddy, LogFamily::traefik})
    for (bool access : {false, true})
      CHECK(cls.classify(f, access, "no rule matches this text", 200) != Classifier::kMatchError);
}

TEST_CASE("a bad regex in the built-in catalogue fails its family's matches, not the others'", "[classifier]") {
  Catalogue cat;
  std::string err;
  REQUIRE(cat.add_json("builtin.json",
                       R"({"causes":[{"id":"x","title":"t"}],"rules":[{"id":"r1","cause":"x","regex":"(unclosed","literal":"a","families":["nginx"]}]})",
                       false, err));
  REQUIRE(cat.finish(err));
  Classifier cls(cat, PrefilterEngine::every_line);
  REQUIRE(cls.ok());
  CHECK(cls.classify(LogFamily::nginx, false, "a") == Classifier::kMatchError);
  CHECK(cls.classify(LogFamily::nginx, false, "a") == Classifier::kMatchError);  // every time, not once
  CHECK(cls.classify(LogFamily::caddy, false, "a") != Classifier::kMatchError);
  // Built at once (the C API's), it is named.
  Classifier all(cat, PrefilterEngine::every_line);
  CHECK_FALSE(all.build_all());
  CHECK(all.error().find("builtin.json: rule r1: bad regex") == 0);
}

TEST_CASE("priority: the first matching rule wins", "[classifier]") {
  Catalogue cat = test::mini_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  CHECK(cause_of(cls, test::refused_line()) == "connection_refused");
  CHECK(cause_of(cls, err_line("error", "send() failed (111: Connection refused) while resolving", ", resolver: 127.0.0.11:53")) ==
        "dns_failure");
  CHECK(cause_of(cls, err_line("info", "SSL_do_handshake() failed while SSL handshaking")) == "-");
  CHECK(cause_of(cls, err_line("error", "something new while connecting to upstream")) == "unclassified");
  CHECK(cause_of(cls, err_line("notice", "signal process started", "")) == "-");
}

TEST_CASE("the prefilter finds every line a rule matches", "[classifier]") {
  Catalogue cat = test::mini_catalogue();
  Classifier cls(cat);
  std::string buf = "noise\n" + test::refused_line() + "\nmore noise\nno resolver defined to resolve app\n";
  std::vector<size_t> hits = cls.candidates(buf);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0] > buf.find('\n'));
  CHECK(hits[1] > buf.find("more noise"));
  CHECK(cls.candidates("nothing to see\n").empty());
}

TEST_CASE("access rules respect their status list", "[classifier]") {
  Catalogue cat = test::mini_catalogue();
  Classifier cls(cat);
  std::string line = "1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 10 \"-\" \"-\"";
  CHECK(cls.classify(LogFamily::nginx, true, line, 502) == cat.find_rule("t.access"));
  CHECK(cls.classify(LogFamily::nginx, true, line, 200) == -1);
}

TEST_CASE("the upstream comes from the message when the line has no upstream field", "[classifier]") {
  Catalogue cat = test::mini_catalogue();
  Classifier cls(cat);
  std::string msg = "no resolver defined to resolve backend.internal";
  int r = cls.classify(LogFamily::nginx, false, msg);
  REQUIRE(r == cat.find_rule("t.noresolver"));
  CHECK(cls.capture_upstream(r, msg) == "backend.internal");
  CHECK(cls.capture_upstream(cat.find_rule("t.refused"), msg).empty());
}

TEST_CASE("the shipped catalogue gets nginx's traps right", "[classifier]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  CHECK(cause_of(cls, test::refused_line()) == "connection_refused");
  // A refused DNS query is a DNS problem, not the backend's.
  CHECK(cause_of(cls, err_line("error", "send() failed (111: Connection refused) while resolving",
                               ", resolver: 127.0.0.11:53")) == "dns_failure");
  // nginx will not start: DNS at start-up.
  CHECK(cause_of(cls, "2024/01/15 10:23:45 [emerg] 1#1: host not found in upstream \"app:3000\" in "
                      "/etc/nginx/conf.d/default.conf:12") == "dns_failure");
  // Noise: not upstream failures.
  CHECK(cause_of(cls, err_line("crit", "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking",
                               ", client: 1.2.3.4, server: 0.0.0.0:443")) == "-");
  CHECK(cause_of(cls, err_line("error", "client intended to send too large body: 1048577 bytes")) == "-");
  CHECK(cause_of(cls, err_line("warn", "an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream")) == "-");
  CHECK(cause_of(cls, err_line("error", "upstream timed out (110: Connection timed out) while reading response header from upstream")) ==
        "read_timeout");
  CHECK(cause_of(cls, err_line("error", "upstream timed out (110: Operation timed out) while connecting to upstream")) ==
        "connect_timeout");
  CHECK(cause_of(cls, err_line("error", "no live upstreams while connecting to upstream")) == "no_live_upstreams");
  CHECK(cause_of(cls, err_line("error", "upstream prematurely closed connection while reading response header from upstream")) ==
        "upstream_reset");
}

TEST_CASE("chunks of one kind of line are scanned for that kind's literals only", "[classifier]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  auto lines_hit = [&](const std::string& buf) {
    std::vector<size_t> hits = cls.candidates(buf);
    std::vector<size_t> lines;
    for (size_t h : hits) lines.push_back(static_cast<size_t>(std::count(buf.begin(), buf.begin() + static_cast<long>(h), '\n')));
    return lines;
  };
  const std::string access =
      "{\"level\":\"info\",\"ts\":1705314225.1,\"logger\":\"http.log.access\",\"msg\":\"handled request\",\"status\":200}\n";
  const std::string error =
      "{\"level\":\"error\",\"ts\":1705314225.2,\"logger\":\"http.log.error\",\"msg\":\"dial tcp 10.0.0.5:80: connect: connection refused\",\"status\":502}\n";
  // A JSON chunk: the Go proxies' literals.
  CHECK(lines_hit(access + error + access) == std::vector<size_t>{1});
  // docker's json-file log of nginx: JSON lines holding nginx's. Its
  // "stream" key makes every such line a candidate of the JSON scan; the
  // chunk is then scanned again with every literal: only the failure is left.
  const std::string docker_noise = "{\"log\":\"2024/01/15 10:23:45 [notice] 1#1: signal process started\\n\",\"stream\":\"stderr\",\"time\":\"2024-01-15T10:23:45.1Z\"}\n";
  const std::string docker_fail =
      "{\"log\":\"2024/01/15 10:23:45 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting to upstream, "
      "client: 10.0.0.1, server: a, request: \\\"GET / HTTP/1.1\\\", upstream: \\\"http://10.0.0.5:80/\\\", host: \\\"a\\\"\\n\","
      "\"stream\":\"stderr\",\"time\":\"2024-01-15T10:23:45.2Z\"}\n";
  CHECK(lines_hit(docker_noise + docker_fail + docker_noise) == std::vector<size_t>{1});
  // An nginx error-log chunk: nginx's literals; a Go error text in it is no candidate.
  const std::string ok = "2024/01/15 10:23:45 [notice] 1#1: signal process started\n";
  const std::string go_words = "2024/01/15 10:23:45 [info] 1#1: *3 client timed out (110: Connection timed out) while waiting for request, client: 1.2.3.4\n";
  CHECK(lines_hit(ok + test::refused_line() + "\n" + go_words + ok) == std::vector<size_t>{1});
  // The same lines after a Caddy line: a mixed chunk, every literal sought.
  std::vector<size_t> mixed = lines_hit(error + ok + test::refused_line() + "\n");
  CHECK(mixed == std::vector<size_t>{0, 2});
}

TEST_CASE("a reset on the client's side of a Go proxy is the client's, one on the backend's side the backend's",
          "[classifier]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  auto cause = [&](LogFamily f, const std::string& text) { return go_cause(cls, f, text); };
  for (LogFamily f : {LogFamily::caddy, LogFamily::traefik}) {
    // Accepted: the listening port here, the client's ephemeral port there.
    CHECK(cause(f, "write tcp 172.18.0.9:443->198.51.100.4:50317: write: broken pipe") == "client_closed");
    CHECK(cause(f, "read tcp [::1]:8080->[::1]:41000: read: connection reset by peer") == "client_closed");
    CHECK(cause(f, "Error during connection: readfrom tcp 172.18.0.9:35684->172.18.0.7:8443: read tcp "
                   "172.18.0.9:443->198.51.100.4:50309: read: connection reset by peer") == "client_closed");
    // Dialled: an ephemeral port here, the backend's port there (also a five-digit one).
    CHECK(cause(f, "read tcp 172.18.0.9:52704->172.18.0.7:3000: read: connection reset by peer") == "upstream_reset");
    CHECK(cause(f, "readfrom tcp 172.18.0.9:35684->172.18.0.7:8443: write: broken pipe") == "upstream_reset");
    CHECK(cause(f, "read tcp 127.0.0.1:52704->127.0.0.1:24095: read: connection reset by peer") == "upstream_reset");
    // Where ip_local_port_range starts low, a dialled port can have four digits.
    CHECK(cause(f, "read tcp 10.42.0.7:4821->10.42.3.15:31080: read: connection reset by peer") == "upstream_reset");
  }
}

TEST_CASE("nginx's own sockets (reusing kept-alive ones, opening a listening one) are not requests; running out "
          "on the way to a backend is a failure",
          "[classifier]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  CHECK(cause_of(cls, "2024/07/07 08:52:41 [warn] 182#182: 512 worker_connections are not enough, reusing connections") ==
        "-");
  CHECK(cause_of(cls, "2024/07/07 08:52:41 [alert] 182#182: 512 worker_connections are not enough") ==
        "resource_exhaustion");
  CHECK(cause_of(cls, err_line("alert", "512 worker_connections are not enough while connecting to upstream")) ==
        "resource_exhaustion");
  CHECK(cause_of(cls, "2023/02/20 11:56:01 [emerg] 21114#21114: socket() 0.0.0.0:80 failed (24: Too many open files)") ==
        "-");
  CHECK(cause_of(cls, "2023/02/20 11:56:01 [emerg] 21114#21114: socket() [::]:443 failed (24: Too many open files)") ==
        "-");
  CHECK(cause_of(cls, "2023/02/20 11:56:01 [emerg] 21114#21114: socket() unix:/run/nginx.sock failed (24: Too many "
                      "open files)") == "-");
  CHECK(cause_of(cls, err_line("alert", "socket() failed (24: Too many open files) while connecting to upstream")) ==
        "resource_exhaustion");
}

TEST_CASE("Caddy 1's words for a pool with no host up are no_live_upstreams", "[classifier]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  CHECK(go_cause(cls, LogFamily::caddy, "no hosts available upstream") == "no_live_upstreams");
}

TEST_CASE("a name nginx could not resolve is dns_failure, also in a module's words", "[classifier]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  CHECK(cause_of(cls, err_line("error", "backend could not be resolved (3: Host not found)")) == "dns_failure");
  CHECK(cause_of(cls, "2024/01/15 10:23:45 [error] 16#0: upstream-dynamic-servers: 'api_host' could not be resolved "
                      "(110: Operation timed out)") == "dns_failure");
  const int r = cls.classify(LogFamily::nginx, false, "upstream-dynamic-servers: 'api_host' could not be resolved (2: Server failure)");
  REQUIRE(r >= 0);
  CHECK(cls.capture_upstream(r, "upstream-dynamic-servers: 'api_host' could not be resolved (2: Server failure)") == "api_host");
}

TEST_CASE("a socket call on the upstream connection that fails by nginx's own fault is the proxy's, not a reset",
          "[classifier]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  CHECK(cause_of(cls, err_line("alert", "sendfile() failed (9: Bad file descriptor) while sending request to upstream")) ==
        "proxy_internal_error");
  CHECK(cause_of(cls, err_line("alert", "writev() failed (22: Invalid argument) while sending request to upstream")) ==
        "proxy_internal_error");
  CHECK(cause_of(cls, err_line("error", "recv() failed (10009: Unknown error) while reading response header from upstream")) ==
        "proxy_internal_error");
  // The peer's doing stays a reset.
  CHECK(cause_of(cls, err_line("error", "sendfile() failed (32: Broken pipe) while sending request to upstream")) ==
        "upstream_reset");
  CHECK(cause_of(cls, err_line("error", "readv() failed (104: Connection reset by peer) while reading upstream")) ==
        "upstream_reset");
}
