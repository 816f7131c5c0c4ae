#include "helpers.hpp"
#include "decode/unwrap.hpp"

using gw502::unwrap_line;

TEST_CASE("collector prefixes are removed", "[unwrap]") {
  const std::string line = "2024/01/15 10:23:45 [error] 31#31: *7 connect() failed";
  CHECK(unwrap_line("proxy-1  | " + line) == line);
  CHECK(unwrap_line("npm_app_1     | " + line) == line);
  CHECK(unwrap_line("2024-01-15T10:23:45.123456789Z " + line) == line);
  CHECK(unwrap_line("proxy-1  | 2024-01-15T10:23:45.123456789Z " + line) == line);
  CHECK(unwrap_line("[pod/nginx-7d9f/nginx] " + line) == line);
  CHECK(unwrap_line("Jan 15 10:23:45 web1 nginx[812]: " + line) == line);
  CHECK(unwrap_line("2024-01-15T10:23:45+0000 web1 nginx[812]: " + line) == line);
}

TEST_CASE("the proxies' own formats are left alone", "[unwrap]") {
  for (std::string s : {
           "2024/01/15 10:23:45 [error] 31#31: *7 connect() failed",
           "10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 157 \"-\" \"curl\"",
           "[15/Jan/2024:10:23:45 +0000] - 502 502 - GET https a.example \"/\" [Client 1.2.3.4]",
           "{\"level\":\"error\",\"ts\":1705314225.1}",
           "",
           "|",
       })
    CHECK(unwrap_line(s) == s);
}

TEST_CASE("a tailer's name before JSON, a bracketed name glued to a time", "[unwrap][wild2]") {
  const std::string json = R"J({"level":"error","msg":"x"})J";
  CHECK(unwrap_line("traefik-7d9f8-x2k4q " + json) == json);
  CHECK(unwrap_line("[traefik-1] " + json) == json);
  CHECK(unwrap_line("[web.1]2024-01-15T10:23:45.123Z " + json) == json);
  // Not a name before JSON: a sentence, or an nginx line quoting JSON.
  for (std::string s : {"two words {\"a\":1}", "[E] [handler.go:48] '502 Bad Gateway' caused by: EOF",
                        "[15/Jan/2024:10:23:45 +0000] {\"a\":1}"})
    CHECK(unwrap_line(s) == s);
}

TEST_CASE("logrus text (Traefik v2) is left alone, and unwrapped behind a prefix", "[unwrap]") {
  const std::string line = R"(time="2024-01-15T10:23:45Z" level=debug msg="'502 Bad Gateway' caused by: EOF")";
  CHECK(unwrap_line(line) == line);
  CHECK(unwrap_line("traefik-1  | " + line) == line);
  CHECK(unwrap_line("2024-01-15T10:23:45.123456789Z " + line) == line);
  CHECK(unwrap_line("[pod/traefik-7d9f/traefik] " + line) == line);
}

TEST_CASE("journalctl's short time in other locales' month names is taken off too", "[unwrap]") {
  const std::string line = "{\"level\":\"error\",\"logger\":\"http.log.error\",\"msg\":\"dial tcp 10.0.0.5:80: connect: connection refused\"}";
  CHECK(unwrap_line("Dez 05 10:00:01 srv caddy[123]: " + line) == line);             // German
  CHECK(unwrap_line("d\xc3\xa9" "c. 05 10:00:01 srv caddy[123]: " + line) == line);  // French, "déc."
  CHECK(unwrap_line("12\xe6\x9c\x88 5 10:00:01 srv caddy[123]: " + line) == line);   // Chinese/Japanese, "12月"
  CHECK(unwrap_line("Dec  5 10:00:01 srv caddy: " + line) == line);                  // padded day, no pid
  // Not a journal time: left as it is.
  const std::string clf = "10.0.0.1 - - [05/Dec/2024:10:00:01 +0000] \"GET / HTTP/1.1\" 502 0";
  CHECK(unwrap_line(clf) == clf);
  const std::string word = "GET 200 10:00:01 srv x[1]: y";
  CHECK(unwrap_line(word) == word);
}

TEST_CASE("Loki's label set after the time (logcli, Grafana) is taken off", "[unwrap]") {
  const std::string line = "2024/01/15 10:23:45 [error] 31#31: *7 connect() failed";
  CHECK(unwrap_line("2024-01-15T10:23:45Z {container=\"nginx\", job=\"docker\"} " + line) == line);
  CHECK(unwrap_line("2024-01-15T10:23:45.123456789Z {} " + line) == line);
  CHECK(unwrap_line("2024-01-15T10:23:45Z {job=\"nginx\"}          " + line) == line);  // logcli's padding
  CHECK(unwrap_line("2024-01-15T10:23:45Z {filename=\"/var/log/a \\\"b\\\".log\",host=\"web1\"} " + line) == line);
  const std::string json = "{\"level\":\"error\",\"msg\":\"x\"}";
  CHECK(unwrap_line("2024-01-15T10:23:45Z {app=\"caddy\"} " + json) == json);
  // Not a label set: left as it is.
  CHECK(unwrap_line("2024-01-15T10:23:45Z " + json) == json);
  const std::string braces = "2024-01-15T10:23:45Z {not labels} x";
  CHECK(unwrap_line(braces) == "{not labels} x");
}
