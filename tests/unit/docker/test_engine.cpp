#include "docker/engine.hpp"

#include <catch2/catch.hpp>

using namespace gw502::docker;

TEST_CASE("HTTP answers: content length, chunked, status", "[docker]") {
  HttpAnswer a;
  std::string err;
  REQUIRE(parse_http_answer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}xx", a, err));
  CHECK(a.status == 200);
  CHECK(a.body == "{}");
  CHECK(a.content_type == "application/json");
  REQUIRE(parse_http_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", a, err));
  CHECK(a.body == "abcde");
  REQUIRE(parse_http_answer("HTTP/1.0 404 Not Found\r\n\r\n{\"message\":\"No such container: x\"}", a, err));
  CHECK(a.status == 404);
  CHECK_FALSE(parse_http_answer("", a, err));
  CHECK_FALSE(parse_http_answer("SSH-2.0-x\r\n\r\n", a, err));
}

TEST_CASE("log stream frames are joined; a TTY stream is kept as it is", "[docker]") {
  std::string raw;
  auto frame = [&](char stream, const std::string& s) {
    raw += stream;
    raw += std::string(3, '\0');
    raw += char((s.size() >> 24) & 255);
    raw += char((s.size() >> 16) & 255);
    raw += char((s.size() >> 8) & 255);
    raw += char(s.size() & 255);
    raw += s;
  };
  frame(1, "2026-01-01T00:00:00.000000000Z out line\n");
  frame(2, std::string(300, 'e') + "\n");
  CHECK(demux_log_stream(raw) == "2026-01-01T00:00:00.000000000Z out line\n" + std::string(300, 'e') + "\n");
  CHECK(demux_log_stream("plain tty text\n") == "plain tty text\n");
  // cut in the middle of a frame: what came is kept
  CHECK(demux_log_stream(raw.substr(0, 20)) == std::string("2026-01-01T0"));
}

TEST_CASE("DOCKER_HOST", "[docker]") {
  std::string path, err;
  REQUIRE(socket_from_docker_host(nullptr, path, err));
  CHECK(path == "/var/run/docker.sock");
  REQUIRE(socket_from_docker_host("unix:///tmp/d.sock", path, err));
  CHECK(path == "/tmp/d.sock");
  CHECK_FALSE(socket_from_docker_host("tcp://1.2.3.4:2375", path, err));
  CHECK(err.find("unix://") != std::string::npos);
}

TEST_CASE("a missing socket is a clear one-line error", "[docker]") {
  Engine e("/nonexistent/docker.sock");
  std::string json, err;
  CHECK_FALSE(e.version(json, err));
  CHECK(err.find("/nonexistent/docker.sock does not exist") != std::string::npos);
  CHECK(err.find('\n') == std::string::npos);
}
