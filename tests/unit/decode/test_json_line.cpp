// JsonLine's numbers (D8): a JSON number that does not fit is no status and no
// time, never a float-to-integer cast out of range (undefined behaviour, which
// UBSan's float-cast-overflow check reports in the sanitizer build).
#include "decode/go_error.hpp"
#include "decode/json_line.hpp"
#include "decode/line_decoder.hpp"
#include "helpers.hpp"

using namespace gw502;

TEST_CASE("int_num takes numbers that fit an int and refuses the others", "[json][D8]") {
  JsonLine j;
  REQUIRE(j.parse(R"J({"a":502,"b":1e20,"c":-1e30,"d":502.9,"e":"502","f":2147483647,"g":2147483648,"o":{"s":1e300}})J"));
  int v = 7;
  CHECK(j.int_num("a", v));
  CHECK(v == 502);
  v = 7;
  CHECK_FALSE(j.int_num("b", v));
  CHECK_FALSE(j.int_num("c", v));
  CHECK_FALSE(j.int_num("e", v));
  CHECK_FALSE(j.int_num("g", v));
  CHECK_FALSE(j.int_num("o", "s", v));
  CHECK(v == 7);  // untouched on failure
  CHECK(j.int_num("d", v));
  CHECK(v == 502);
  CHECK(j.int_num("f", v));
  CHECK(v == 2147483647);
}

TEST_CASE("go_epoch_time refuses times beyond any log's", "[json][D8]") {
  int64_t t = 0;
  CHECK(go_epoch_time(1705314225.5, t));
  CHECK(t == 1705314225);
  CHECK(go_epoch_time(1705314225123456789.0, t));  // nanoseconds
  CHECK(t == 1705314225);
  CHECK_FALSE(go_epoch_time(1e300, t));
  CHECK_FALSE(go_epoch_time(1e30, t));
  CHECK_FALSE(go_epoch_time(__builtin_inf(), t));
  CHECK_FALSE(go_epoch_time(__builtin_nan(""), t));
}

TEST_CASE("Caddy and Traefik entries with out-of-range numbers decode without a wild status", "[json][D8]") {
  LineDecoder d;
  Event ev;
  std::string caddy =
      R"J({"level":"error","ts":1e300,"logger":"http.log.error","msg":"dial tcp 127.0.0.1:8080: connect: connection refused","status":1e20,"err_trace":"reverseproxy.statusError (reverseproxy.go:1272)"})J";
  d.decode(caddy, caddy, kAllFamilies, ev);
  CHECK(ev.status == 0);
  CHECK(ev.time == kNoTime);
  std::string traefik = R"J({"DownstreamStatus":1e30,"OriginStatus":-1e30,"RequestHost":"x","time":"2024-01-01T00:00:00Z"})J";
  d.decode(traefik, traefik, kAllFamilies, ev);
  CHECK(ev.status == 0);
  std::string traefik2 = R"J({"ClientHost":"1.2.3.4","DownstreamStatus":502,"OriginStatus":1e30,"RequestHost":"x","time":"2024-01-01T00:00:00Z"})J";
  d.decode(traefik2, traefik2, kAllFamilies, ev);
  CHECK(ev.status == 502);
}

TEST_CASE("a pasted entry with an elision is read up to it, as a line cut there", "[json][parse_cut]") {
  JsonLine j;
  const std::string_view elided =
      R"J({"level":"error","logger":"http.log.error","msg":"dial tcp: i/o timeout","request":{"method":"POST","proto":"HTTP/2.0", ... }, "status":502})J";
  REQUIRE_FALSE(j.parse(elided));
  REQUIRE(j.parse_cut(elided));
  CHECK(j.was_cut());
  CHECK(j.str("msg") == "dial tcp: i/o timeout");
  CHECK(j.str("request", "method") == "POST");
  CHECK_FALSE(j.has("status"));  // after the elision: not read
  // The same with a typographic ellipsis, and one inside a string is text.
  REQUIRE(j.parse_cut("{\"msg\":\"retrying...\",\"logger\":\"x\", \xE2\x80\xA6 }"));
  CHECK(j.str("msg") == "retrying...");
  CHECK(j.str("logger") == "x");
  // Nothing whole before the elision: nothing to read.
  CHECK_FALSE(j.parse_cut(R"J({"msg": ... })J"));
}

TEST_CASE("members are found by name: the first of equal keys, none for absent ones", "[json]") {
  JsonLine j;
  // Flat (the one-pass reader), then nested (simdjson): the same answers.
  for (std::string_view line :
       {std::string_view(R"({"msg":"a","ts":1,"msg":"b","m":"x","sg":"y","":"empty","level":"error"})"),
        std::string_view(R"({"msg":"a","ts":1,"msg":"b","m":"x","sg":"y","":"empty","level":"error","o":{"k":"v"}})")}) {
    INFO(line);
    REQUIRE(j.parse(line));
    CHECK(j.str("msg") == "a");
    CHECK(j.str("m") == "x");
    CHECK(j.str("sg") == "y");
    CHECK(j.str("") == "empty");
    CHECK(j.str("level") == "error");
    CHECK_FALSE(j.has("mxg"));
    CHECK_FALSE(j.has("levels"));
    CHECK_FALSE(j.has("lever"));
    double ts = 0;
    CHECK(j.num("ts", ts));
    CHECK(ts == 1);
  }
  // More members than are indexed: looked up in the object itself.
  std::string many = "{";
  for (int i = 0; i < 60; ++i) many += "\"k" + std::to_string(i) + "\":\"v" + std::to_string(i) + "\",";
  many += "\"last\":{\"x\":1}}";
  REQUIRE(j.parse(many));
  CHECK(j.str("k0") == "v0");
  CHECK(j.str("k59") == "v59");
  CHECK_FALSE(j.has("k60"));
  // A short line after it: nothing of the long one is left.
  REQUIRE(j.parse(R"({"k1":"w"})"));
  CHECK(j.str("k1") == "w");
  CHECK_FALSE(j.has("k0"));
}
