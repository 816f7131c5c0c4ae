#include "prefilter/chunk_shape.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <string>

#include "decode/format_detect.hpp"
#include "decode/unwrap.hpp"

using namespace gw502;

namespace {

const std::string kNginx = "2024/01/15 10:23:45 [error] 31#31: *7 connect() failed (111: Connection refused)\n";
const std::string kLogfmt = "time=\"2024-01-15T10:23:45Z\" level=debug msg=\"'502 Bad Gateway' caused by: dial tcp 10.0.0.5:80: connect: connection refused\"\n";
const std::string kJson = "{\"level\":\"error\",\"logger\":\"http.log.error\",\"msg\":\"dial tcp: connection refused\"}\n";

// Long enough that the vector loop sees most newlines, short lines too.
std::string times(const std::string& line, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += line;
  return s;
}

}  // namespace

TEST_CASE("chunks of one kind of line", "[chunk_shape]") {
  CHECK(chunk_shape(times(kNginx, 50)) == ChunkShape::nginx_error);
  CHECK(chunk_shape(times(kJson, 50)) == ChunkShape::json);
  CHECK(chunk_shape(times(kLogfmt, 50)) == ChunkShape::logfmt);
  // The last line need not end in a newline.
  std::string s = times(kJson, 3);
  s.pop_back();
  CHECK(chunk_shape(s) == ChunkShape::json);
  CHECK(chunk_shape("") == ChunkShape::mixed);
}

TEST_CASE("one line of another kind anywhere makes a chunk mixed", "[chunk_shape]") {
  const std::string others[] = {
      "2024/01/15 10:23:45.123\tERROR\thttp.log.error\tdial tcp: connection refused\n",  // Caddy console
      "time=\"2024-01-15T10:23:45Z\" level=debug msg=\"'502 Bad Gateway' caused by: EOF\"\n",
      "1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 10 \"-\" \"-\"\n",
      " {\"level\":\"error\"}\n",   // a space before the brace
      "\n",                         // an empty line
      "2024/01/15 10:23:45 [\n",    // too short for a level
      "2024/01/15 10:23:45 [ERROR] not nginx's lower case\n",
      "2024/01/15 1x:23:45 [error] 1#1: bad digit\n",
      "web-1  | 2024/01/15 10:23:45 [error] 31#31: *7 docker compose prefix\n",
  };
  for (const auto& other : others) {
    INFO(other);
    for (int at : {0, 1, 7, 49}) {
      std::string n = times(kNginx, at) + other + times(kNginx, 49 - at);
      std::string j = times(kJson, at) + other + times(kJson, 49 - at);
      std::string l = times(kLogfmt, at) + other + times(kLogfmt, 49 - at);
      CHECK(chunk_shape(n) == ChunkShape::mixed);
      if (other[0] != '{') CHECK(chunk_shape(j) == ChunkShape::mixed);
      if (other[0] != 't') CHECK(chunk_shape(l) == ChunkShape::mixed);
    }
  }
  CHECK(chunk_shape(times(kNginx, 5) + times(kJson, 5)) == ChunkShape::mixed);
}

TEST_CASE("what chunk_shape calls nginx_error or json, detect_line_format does too", "[chunk_shape]") {
  CHECK(detect_line_format(kNginx.substr(0, kNginx.size() - 1)) == LineFormat::nginx_error);
  CHECK(detect_line_format(kJson.substr(0, kJson.size() - 1)) == LineFormat::json);
  CHECK(detect_line_format(kLogfmt.substr(0, kLogfmt.size() - 1)) == LineFormat::traefik_logfmt);
  // Every level nginx writes.
  for (const char* level : {"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"}) {
    std::string line = "2024/01/15 10:23:45 [" + std::string(level) + "] 1#1: x\n";
    CHECK(chunk_shape(times(line, 40)) == ChunkShape::nginx_error);
  }
}

TEST_CASE("chunk_shape reads nothing past the buffer", "[chunk_shape]") {
  // A buffer cut right after a newline and one cut inside the head of a
  // line: the check must stop at the end (ASan/valgrind would see a read).
  std::string s = times(kNginx, 40);
  for (size_t cut : {s.size(), s.size() - 1, s.size() - kNginx.size() + 5}) {
    std::string copy = s.substr(0, cut);
    ChunkShape shape = chunk_shape(copy);
    CHECK((shape == ChunkShape::nginx_error || shape == ChunkShape::mixed));
  }
}

TEST_CASE("a NUL byte is no digit, letter or separator", "[chunk_shape]") {
  for (size_t at : {0u, 4u, 12u, 19u, 20u, 22u}) {
    std::string bad = kNginx;
    bad[at] = '\0';
    INFO(at);
    CHECK(chunk_shape(times(kNginx, 3) + bad + times(kNginx, 3)) == ChunkShape::mixed);
  }
}

TEST_CASE("the newline index counts what a plain count does, anywhere", "[chunk_shape]") {
  uint32_t seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  for (size_t size : {0u, 1u, 31u, 32u, 33u, 64u, 1023u, 1024u, 1025u, 3000u, 70000u}) {
    for (int kind = 0; kind < 3; ++kind) {
      std::string s;
      // kind 0: random text (mixed); 1: nginx lines; 2: JSON lines, cut to size.
      while (s.size() < size) {
        if (kind == 0) s += (rnd() % 40 == 0) ? '\n' : static_cast<char>('a' + rnd() % 26);
        else s += kind == 1 ? kNginx : kJson;
      }
      s.resize(size);
      NewlineIndex index;
      ChunkShape with = chunk_shape(s, &index);
      INFO("size " << size << " kind " << kind);
      CHECK(with == chunk_shape(s));  // the index does not change the verdict
      CHECK(index.total() == static_cast<uint64_t>(std::count(s.begin(), s.end(), '\n')));
      for (size_t pos = 0; pos <= size; pos += 1 + rnd() % 97)
        REQUIRE(index.before(pos) == static_cast<uint64_t>(std::count(s.begin(), s.begin() + static_cast<long>(pos), '\n')));
      CHECK(index.before(size) == index.total());
    }
  }
}

TEST_CASE("the address key found in the same pass, at every offset, as a plain search finds it", "[chunk_shape]") {
  // kJson is 82 bytes: over a few lines every key start meets every offset
  // within a 32-byte block, and the scalar tail after the vector loop. The
  // lines open with a key a proxy's own JSON may open with, so that only
  // the address key makes the chunk mixed.
  const std::string addr_line = "{\"Time\":\"x\",\"remote_addr\":\"1.2.3.4\",\"status\":502}\n";
  const std::string upstream_line = "{\"ts\":1,\"upstream_addr\":\"10.0.0.5:80\",\"status\":\"502\"}\n";
  for (const std::string* line : {&addr_line, &upstream_line}) {
    for (int before = 0; before < 12; ++before) {
      for (size_t shift = 0; shift < 33; ++shift) {
        // A JSON line of another length moves the key across a block edge.
        std::string pad = "{\"level\":\"" + std::string(shift, 'm') + "\"}\n";
        for (int after : {0, 1, 5}) {
          std::string s = times(kJson, before) + pad + *line + times(kJson, after);
          for (bool indexed : {false, true}) {
            NewlineIndex index;
            INFO("before " << before << " shift " << shift << " after " << after << " indexed " << indexed);
            CHECK(chunk_shape(s, indexed ? &index : nullptr) == ChunkShape::mixed);
          }
        }
      }
    }
  }
  // Half a key, or its pair alone, is no key; a key split by the chunk's end neither.
  for (const std::string& odd : {std::string("{\"level\":\"x\",\"remote_addrx\":2}\n"),
                                 std::string("{\"level\":\"m\",\"a_a\":\"_a\"}\n"),
                                 std::string("{\"level\":\"\\\"remote_ad")}) {
    INFO(odd);
    CHECK(chunk_shape(times(kJson, 7) + odd) == ChunkShape::json);
  }
  // docker's json-file records make a chunk mixed, with or without "stream".
  for (const std::string docker : {"{\"log\":\"x\",\"stream\":\"stderr\"}\n", "{\"log\":\"x\"}\n"}) {
    CHECK(chunk_shape(times(docker, 20)) == ChunkShape::mixed);
    CHECK(chunk_shape(times(kJson, 9) + docker + times(kJson, 9)) == ChunkShape::mixed);
  }
  // GELF's numeric level is no proxy's.
  CHECK(chunk_shape(times("{\"level\":6,\"short_message\":\"x\"}\n", 20)) == ChunkShape::mixed);
}

TEST_CASE("docker compose logs: the shape of what follows each line's prefix", "[chunk_shape]") {
  auto prefixed = [](const std::string& line, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i % 3 ? "proxy-1        | " : "npm_app_1  | ") + line;
    return s;
  };
  CHECK(chunk_shape(prefixed(kNginx, 50)) == ChunkShape::nginx_error);
  CHECK(chunk_shape(prefixed(kJson, 50)) == ChunkShape::json);
  CHECK(chunk_shape(prefixed(kLogfmt, 50)) == ChunkShape::logfmt);
  // What the decoders see once they take the prefix off is what the shape says.
  for (const std::string& line : {kNginx, kJson, kLogfmt}) {
    const std::string p = "web-1  | " + line.substr(0, line.size() - 1);
    CHECK(detect_line_format(unwrap_line(p)) == detect_line_format(line.substr(0, line.size() - 1)));
  }
  // One line without a prefix, or with another kind behind it: mixed.
  for (int at : {0, 1, 7, 49}) {
    INFO(at);
    CHECK(chunk_shape(prefixed(kNginx, at) + kNginx + prefixed(kNginx, 49 - at)) == ChunkShape::mixed);
    CHECK(chunk_shape(prefixed(kJson, at) + "web-1  | " + kNginx + prefixed(kJson, 49 - at)) == ChunkShape::mixed);
    CHECK(chunk_shape(prefixed(kNginx, at) + "web-1  | \n" + prefixed(kNginx, 49 - at)) == ChunkShape::mixed);
    CHECK(chunk_shape(prefixed(kLogfmt, at) + "web-1  |" + kLogfmt + prefixed(kLogfmt, 49 - at)) == ChunkShape::mixed);
  }
  // A prefix that ends the buffer, and a last line without its newline.
  CHECK(chunk_shape(prefixed(kNginx, 20) + "web-1  | ") == ChunkShape::mixed);
  std::string s = prefixed(kJson, 20);
  s.pop_back();
  CHECK(chunk_shape(s) == ChunkShape::json);
}

TEST_CASE("a collector's JSON records make a chunk mixed: the line they carry may be nginx's", "[chunk_shape]") {
  const std::string records[] = {
      "{\"@timestamp\":\"2024-01-15T10:23:45.123Z\",\"message\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}\n",
      "{\"__CURSOR\":\"s=1\",\"MESSAGE\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}\n",
      "{\"date\":1705314225.1,\"log\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}\n",
      "{\"file\":\"/var/log/nginx/error.log\",\"message\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}\n",
      "{\"message\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\",\"podName\":\"nginx-7d9f\"}\n",
      "{\"insertId\":\"a1\",\"textPayload\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}\n",
      "{\"labels\":{\"app\":\"nginx\"},\"line\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}\n",
      "{\"_index\":\"f\",\"_source\":{\"message\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}}\n",
      "{\"timestamp\":1705314225000,\"message\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}\n",
      "{\"TimeGenerated\":\"2024-01-15T10:23:45Z\",\"LogEntry\":\"2024/01/15 10:23:45 [error] 31#31: *7 x\"}\n",
  };
  for (const auto& record : records) {
    INFO(record);
    CHECK(chunk_shape(times(record, 50)) == ChunkShape::mixed);
    for (int at : {0, 1, 7, 49})  // among a proxy's own JSON lines, anywhere
      CHECK(chunk_shape(times(kJson, at) + record + times(kJson, 49 - at)) == ChunkShape::mixed);
  }
  // A short record is one wherever it falls, the chunk's end included.
  CHECK(chunk_shape(times(kJson, 5) + "{\"__\"}\n" + times(kJson, 5)) == ChunkShape::mixed);
  CHECK(chunk_shape(times(kJson, 5) + "{\"__\"}") == ChunkShape::mixed);
  // JSON that no proxy writes is mixed, whatever its first key: a record of
  // a collector not listed anywhere still has its line sought.
  for (const std::string unknown : {"{\"agent\":{\"type\":\"filebeat\"},\"message\":\"x\"}\n",
                                    "{\"container\":\"nginx\",\"message\":\"x\"}\n", "{\"levels\":1}\n",
                                    "{\"_level\":\"error\"}\n", "{\"TimeGenerated\":\"x\",\"LogEntry\":\"x\"}\n"}) {
    INFO(unknown);
    CHECK(chunk_shape(times(unknown, 50)) == ChunkShape::mixed);
    CHECK(chunk_shape(times(kJson, 20) + unknown + times(kJson, 29)) == ChunkShape::mixed);
  }
  // The proxies' own first keys: Caddy and Traefik v3 ("level"), logrus's
  // sorted keys (Traefik v2), Traefik's access log (capitalised fields).
  for (const std::string own : {"{\"level\":\"error\",\"ts\":1}\n", "{\"error\":\"x\",\"level\":\"error\"}\n",
                                "{\"entryPointName\":\"web\",\"level\":\"debug\"}\n",
                                "{\"ClientAddr\":\"10.0.0.1:5\",\"DownstreamStatus\":502}\n", "{\"ts\":1.5,\"msg\":\"x\"}\n"}) {
    INFO(own);
    CHECK(chunk_shape(times(own, 50)) == ChunkShape::json);
  }
}
