// LineDecoder: a collector's JSON record around a proxy's line
// (any JSON that is not a proxy's own), read as the line it carries.
#include "decode/line_decoder.hpp"
#include "helpers.hpp"

using namespace gw502;

namespace {

const std::string kRefused =
    "2024/01/15 10:23:45 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting to upstream, "
    "client: 10.0.0.1, server: a, request: \\\"GET / HTTP/1.1\\\", upstream: \\\"http://10.0.0.5:80/\\\", host: "
    "\\\"a.example\\\"";

Decoded decode(LineDecoder& d, const std::string& line, Event& ev) { return d.decode(line, line, kAllFamilies, ev); }

}  // namespace

TEST_CASE("collectors' records carry an nginx error line", "[decoder][envelope]") {
  const std::string records[] = {
      "{\"@timestamp\":\"2024-01-15T10:23:45.123Z\",\"message\":\"" + kRefused + "\",\"log\":{\"file\":{\"path\":\"/var/log/nginx/error.log\"}}}",
      "{\"__CURSOR\":\"s=1\",\"__REALTIME_TIMESTAMP\":\"1705314225000000\",\"SYSLOG_IDENTIFIER\":\"nginx\",\"MESSAGE\":\"" + kRefused + "\"}",
      "{\"date\":1705314225.123,\"log\":\"" + kRefused + "\\n\"}",
      "{\"file\":\"/var/log/nginx/error.log\",\"host\":\"web1\",\"message\":\"" + kRefused + "\",\"source_type\":\"file\"}",
      "{\"message\":\"" + kRefused + "\",\"nodeName\":\"n1\",\"namespace\":\"ingress\",\"podName\":\"nginx-7d9f\",\"containerName\":\"controller\"}",
      // Google Cloud Logging (GKE), keys in alphabetical order.
      "{\"insertId\":\"x1\",\"labels\":{\"k8s-pod/app\":\"nginx\"},\"logName\":\"projects/p/logs/stderr\",\"resource\":"
      "{\"type\":\"k8s_container\"},\"severity\":\"ERROR\",\"textPayload\":\"" + kRefused + "\",\"timestamp\":\"2024-01-15T10:23:45Z\"}",
      // CloudWatch Logs' event, Loki's JSON lines, an Elasticsearch hit.
      "{\"timestamp\":1705314225000,\"message\":\"" + kRefused + "\",\"ingestionTime\":1705314226000}",
      "{\"labels\":{\"container\":\"nginx\"},\"line\":\"" + kRefused + "\",\"timestamp\":\"2024-01-15T10:23:45Z\"}",
      "{\"_index\":\"filebeat-1\",\"_id\":\"a\",\"_source\":{\"@timestamp\":\"2024-01-15T10:23:45Z\",\"message\":\"" + kRefused + "\"}}",
      // Graylog's GELF (its "level" is a number), Azure Monitor, Splunk's HEC, ECS's event.original.
      "{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"" + kRefused + "\",\"level\":3}",
      "{\"TimeGenerated\":\"2024-01-15T10:23:45Z\",\"Computer\":\"aks-1\",\"LogEntry\":\"" + kRefused + "\",\"LogEntrySource\":\"stderr\"}",
      "{\"time\":1705314225,\"host\":\"h\",\"source\":\"nginx\",\"event\":\"" + kRefused + "\"}",
      "{\"agent\":{\"type\":\"filebeat\"},\"event\":{\"dataset\":\"nginx.error\",\"original\":\"" + kRefused + "\"}}",
  };
  for (const auto& record : records) {
    INFO(record);
    LineDecoder d;
    Event ev;
    const Decoded r = decode(d, record, ev);
    REQUIRE(r.kind == LineKind::error);
    CHECK(r.family == LogFamily::nginx);
    CHECK(ev.message == "connect() failed (111: Connection refused) while connecting to upstream");
    CHECK(ev.cid == 7);
  }
}

TEST_CASE("Cloud Logging's jsonPayload is the proxy's own JSON entry", "[decoder][envelope]") {
  LineDecoder d;
  Event ev;
  const Decoded r = decode(d,
                           "{\"insertId\":\"x1\",\"jsonPayload\":{\"level\":\"error\",\"ts\":1705314225.5,\"logger\":"
                           "\"http.log.error\",\"msg\":\"dial tcp 10.42.0.9:8080: connect: connection refused\",\"request\":"
                           "{\"remote_ip\":\"10.0.0.1\",\"method\":\"GET\",\"host\":\"a.example\",\"uri\":\"/x\"},\"status\":502},"
                           "\"severity\":\"ERROR\",\"timestamp\":\"2024-01-15T10:23:45.5Z\"}",
                           ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::caddy);
  CHECK(ev.upstream == "10.42.0.9:8080");
  // Traefik v3's entry nested whole: its "message" is Traefik's, not the line.
  for (const char* nest : {"jsonPayload", "_source"}) {
    INFO(nest);
    const Decoded t = decode(d,
                             std::string("{\"insertId\":\"x2\",\"") + nest +
                                 "\":{\"level\":\"debug\",\"error\":\"dial tcp 172.18.0.5:80: connect: connection "
                                 "refused\",\"time\":\"2024-01-15T10:23:45Z\",\"message\":\"502 Bad Gateway\"}}",
                             ev);
    REQUIRE(t.kind == LineKind::error);
    CHECK(t.family == LogFamily::traefik);
    CHECK(ev.upstream == "172.18.0.5:80");
  }
}

TEST_CASE("a record's access line and Traefik JSON line are read as such", "[decoder][envelope]") {
  LineDecoder d;
  Event ev;
  Decoded r = decode(d,
                     "{\"@timestamp\":\"2024-01-15T10:23:45Z\",\"message\":\"10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] "
                     "\\\"GET /api HTTP/1.1\\\" 502 157 \\\"-\\\" \\\"curl/8.0\\\"\"}",
                     ev);
  REQUIRE(r.kind == LineKind::access);
  CHECK(ev.status == 502);
  r = decode(d,
             "{\"@timestamp\":\"2024-01-15T10:23:45Z\",\"message\":\"{\\\"level\\\":\\\"debug\\\",\\\"error\\\":\\\"dial "
             "tcp 172.18.0.5:80: connect: connection refused\\\",\\\"time\\\":\\\"2024-01-15T10:23:45Z\\\",\\\"message\\\":"
             "\\\"502 Bad Gateway\\\"}\"}",
             ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::traefik);
  CHECK(ev.upstream == "172.18.0.5:80");
}

TEST_CASE("JSON that only starts like a record is read as what it is", "[decoder][envelope]") {
  LineDecoder d;
  Event ev;
  // nginx's own JSON access log, written with an "@timestamp" first for ELK.
  Decoded r = decode(d,
                     "{\"@timestamp\":\"2024-01-15T10:23:45+00:00\",\"remote_addr\":\"10.0.0.1\",\"request_uri\":\"/api\","
                     "\"status\":\"502\",\"upstream_addr\":\"10.0.0.5:80\"}",
                     ev);
  REQUIRE(r.kind == LineKind::access);
  CHECK(r.family == LogFamily::nginx);
  CHECK(ev.status == 502);
  // A record with no line in it: nothing.
  r = decode(d, "{\"@timestamp\":\"2024-01-15T10:23:45Z\",\"message\":\"\"}", ev);
  CHECK(r.kind != LineKind::error);
}

TEST_CASE("a record with the proxy's own fields merged in is read as the proxy's entry", "[decoder][envelope]") {
  LineDecoder d;
  Event ev;
  // Filebeat's keys_under_root around a Traefik v3 JSON entry: its "message" is Traefik's.
  const Decoded r = decode(d,
                           "{\"@timestamp\":\"2024-01-15T10:23:45Z\",\"level\":\"debug\",\"error\":\"dial tcp "
                           "172.18.0.5:80: connect: connection refused\",\"message\":\"502 Bad Gateway\"}",
                           ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::traefik);
  CHECK(ev.upstream == "172.18.0.5:80");
}

TEST_CASE("Vector's docker_logs records carry the line in \"message\"", "[decoder][envelope]") {
  LineDecoder d;
  Event ev;
  const Decoded r = decode(d,
                           "{\"container_created_at\":\"2024-01-15T10:00:00Z\",\"container_id\":\"3f2a\",\"container_name\":"
                           "\"nginx\",\"host\":\"web1\",\"message\":\"" + kRefused +
                               "\",\"source_type\":\"docker_logs\",\"stream\":\"stderr\",\"timestamp\":\"2024-01-15T10:23:45Z\"}",
                           ev);
  REQUIRE(r.kind == LineKind::error);
  CHECK(r.family == LogFamily::nginx);
  CHECK(ev.cid == 7);
}
