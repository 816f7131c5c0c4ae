// JsonDocumentSource: pretty-printed JSON read as one record per line.
#include <unistd.h>

#include <fstream>

#include "helpers.hpp"
#include "source/json_document.hpp"

using namespace gw502;

namespace {

std::string records(const std::string& doc, size_t step) {
  JsonDocumentSource src(std::make_unique<test::StringSource>(doc, step));
  std::string out, err;
  char buf[7];  // small reads on this side too
  for (long r; (r = src.read(buf, sizeof buf, err)) > 0;) out.append(buf, static_cast<size_t>(r));
  return out;
}

void check_every_step(const std::string& doc, const std::string& want) {
  for (size_t step : {size_t{1}, size_t{2}, size_t{5}, size_t{64}, doc.size()}) {
    INFO("step " << step);
    CHECK(records(doc, step) == want);
  }
}

}  // namespace

TEST_CASE("objects one after another, as jq prints them, are a record each", "[json_document]") {
  const std::string doc =
      "{\n  \"level\": \"error\",\n  \"msg\": \"dial tcp 10.0.0.5:80: connect: connection refused\",\n"
      "  \"request\": {\n    \"headers\": {\n      \"Accept\": [\n        \"*/*\"\n      ]\n    }\n  }\n}\n"
      "{\n  \"level\": \"info\",\n  \"msg\": \"a } and a { and \\\" in a string, and a\\nnewline\"\n}\n";
  check_every_step(doc,
                   "{\"level\":\"error\",\"msg\":\"dial tcp 10.0.0.5:80: connect: connection refused\","
                   "\"request\":{\"headers\":{\"Accept\":[\"*/*\"]}}}\n"
                   "{\"level\":\"info\",\"msg\":\"a } and a { and \\\" in a string, and a\\nnewline\"}\n");
}

TEST_CASE("an array of entries (gcloud logging read --format=json)", "[json_document]") {
  const std::string doc =
      "[\n  {\n    \"insertId\": \"a\",\n    \"textPayload\": \"x [y] {z}\"\n  },\n  {\n    \"insertId\": \"b\",\n"
      "    \"labels\": {}\n  }\n]\n";
  check_every_step(doc, "{\"insertId\":\"a\",\"textPayload\":\"x [y] {z}\"}\n{\"insertId\":\"b\",\"labels\":{}}\n");
}

TEST_CASE("a tool's answer around its entries (aws logs filter-log-events)", "[json_document]") {
  const std::string doc =
      "{\n    \"events\": [\n        {\n            \"logStreamName\": \"s\",\n            \"message\": \"m1\"\n"
      "        },\n        {\n            \"message\": \"m2\"\n        }\n    ],\n    \"nextToken\": \"t\"\n}\n";
  check_every_step(doc, "{\"logStreamName\":\"s\",\"message\":\"m1\"}\n{\"message\":\"m2\"}\n");
}

TEST_CASE("a record cut off by the end of the input is still a line", "[json_document]") {
  check_every_step("{\n  \"level\": \"error\",\n  \"msg\": \"dial tcp", "{\"level\":\"error\",\"msg\":\"dial tcp\n");
  check_every_step("{\n  \"lev", "{\"lev\n");
  check_every_step("{}\n{ }\n", "{}\n{}\n");
  check_every_step("", "");
}

TEST_CASE("pretty-printed JSON is told by its first line", "[json_document]") {
  CHECK(pretty_json_head("{\n  \"level\": \"error\""));
  CHECK(pretty_json_head("\xEF\xBB\xBF\r\n[\r\n  {"));
  CHECK(pretty_json_head("[{\n    \"a\": 1"));
  CHECK(pretty_json_head("  {  \n"));
  CHECK_FALSE(pretty_json_head("{\"level\":\"error\",\"ts\":1}\n"));  // a JSON line
  CHECK_FALSE(pretty_json_head("2024/01/15 10:23:45 [error] 1#1: {\n"));
  CHECK_FALSE(pretty_json_head("[15/Jan/2024:10:23:45 +0000]\n"));
  CHECK_FALSE(pretty_json_head("{"));  // no line end seen: not known
  CHECK_FALSE(pretty_json_head(""));
}

TEST_CASE("open_source reads a pretty-printed file as records, other files as they are", "[json_document]") {
  const std::string path = std::string("/tmp/gw502_test_") + std::to_string(::getpid()) + "_pretty.json";
  auto read_all = [&](const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
    std::string err, out;
    auto src = open_source(path, err);
    REQUIRE(src);
    char buf[4096];
    for (long r; (r = src->read(buf, sizeof buf, err)) > 0;) out.append(buf, static_cast<size_t>(r));
    return out;
  };
  CHECK(read_all("[\n {\"a\": 1},\n {\"b\": [1, 2]}\n]\n") == "{\"a\":1}\n{\"b\":[1,2]}\n");
  CHECK(read_all("{\"a\": 1}\n{\"b\": 2}\n") == "{\"a\": 1}\n{\"b\": 2}\n");
  CHECK(read_all("{\n") == "{\n");  // cut off at once: what there is
  CHECK(read_all("  x\n") == "  x\n");
  ::unlink(path.c_str());
}

TEST_CASE("only the entries' array of a tool's answer; a record may open with an array", "[json_document]") {
  // aws logs filter-log-events: searchedLogStreams holds objects too, not entries.
  check_every_step("{\n \"events\": [\n  {\"message\": \"m1\"}\n ],\n \"searchedLogStreams\": [\n  {\"logStreamName\": \"s\"}\n ]\n}\n",
                   "{\"message\":\"m1\"}\n");
  // jq . of a record whose first member is an array of strings: a record.
  check_every_step("{\n  \"tags\": [\n    \"x\"\n  ],\n  \"message\": \"m\"\n}\n{\n  \"tags\": [],\n  \"b\": 1\n}\n",
                   "{\"tags\":[\"x\"],\"message\":\"m\"}\n{\"tags\":[],\"b\":1}\n");
}
