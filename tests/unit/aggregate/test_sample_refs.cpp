// Samples of a mapped file kept by reference (Sample::offset), read back
// through the Aggregator's reader for the report.
#include <string>

#include "aggregate/aggregator.hpp"
#include "core/event.hpp"
#include "helpers.hpp"

using namespace gw502;

namespace {

// A "file" of three lines starting at byte 1000 of the source; hits are
// views into it, as the pipeline's are into a chunk of the map.
struct Chunk {
  std::string bytes = "first failure line\nsecond failure line\nfirst failure line\n";
  uint64_t at = 1000;
  std::string_view line(size_t n) const {
    size_t b = 0;
    for (size_t i = 0; i < n; ++i) b = bytes.find('\n', b) + 1;
    return std::string_view(bytes).substr(b, bytes.find('\n', b) - b);
  }
};

Hit hit_at(std::string_view text, uint64_t line) {
  return Hit{ProxyKind::nginx, "", "a.example", "10.0.0.5:80", 0, 0, 100, false, 0, line, text};
}

// Reads from `file` as if it were source 0's bytes from offset 0.
Aggregator::SampleReader reader_of(const std::string& file) {
  return [&file](uint32_t source, uint64_t offset, size_t len, std::string& out) {
    if (source != 0 || offset + len > file.size()) return false;
    out.assign(file, offset, len);
    return true;
  };
}

}  // namespace

TEST_CASE("a sample in the chunk's bytes is kept by reference and read back", "[sample_refs]") {
  Chunk c;
  Aggregator agg;
  agg.set_chunk(0, c.bytes, c.at);
  agg.add(hit_at(c.line(0), 1));
  agg.add(hit_at(c.line(1), 2));
  const auto& s = agg.groups().at(0).samples;
  REQUIRE(s.size() == 2);
  CHECK(s[0].by_reference());
  CHECK(s[0].text.empty());
  CHECK(s[0].offset == 1000);
  CHECK(s[1].offset == 1000 + 19);
  CHECK(s[1].len == 19);

  const std::string file = std::string(1000, '.') + c.bytes;
  agg.set_sample_reader(reader_of(file));
  CHECK(agg.sample_text(s[0]) == "first failure line");
  CHECK(agg.sample_text(s[1]) == "second failure line");
}

TEST_CASE("a line that changed in its file or cannot be read is said so, not shown", "[sample_refs]") {
  Chunk c;
  Aggregator agg;
  agg.set_chunk(0, c.bytes, c.at);
  agg.add(hit_at(c.line(0), 7));
  const Sample& s = agg.groups().at(0).samples.at(0);
  CHECK(agg.sample_text(s) == "(line 7 could not be read back from its file)");  // no reader
  std::string file = std::string(1000, '.') + c.bytes;
  file[1000] = 'F';  // rewritten since
  agg.set_sample_reader(reader_of(file));
  CHECK(agg.sample_text(s) == "(line 7 changed in its file after it was read)");
  const std::string short_file(1005, '.');  // truncated
  agg.set_sample_reader(reader_of(short_file));
  CHECK(agg.sample_text(s) == "(line 7 could not be read back from its file)");
}

TEST_CASE("text outside the chunk's bytes is kept as text", "[sample_refs]") {
  Chunk c;
  Aggregator agg;
  agg.set_chunk(0, c.bytes, c.at);
  const std::string elsewhere = "an unwrapped copy of a line";
  agg.add(hit_at(elsewhere, 1));
  const Sample& s = agg.groups().at(0).samples.at(0);
  CHECK_FALSE(s.by_reference());
  CHECK(s.text == elsewhere);
  CHECK(agg.sample_text(s) == elsewhere);
}

TEST_CASE("samples by reference are distinct by text: the earliest line of a text stays", "[sample_refs]") {
  Chunk c;
  Aggregator agg;
  agg.set_chunk(0, c.bytes, c.at);
  agg.add(hit_at(c.line(2), 3));  // the same text as line 1, later in the file
  agg.add(hit_at(c.line(0), 1));
  agg.add(hit_at(c.line(1), 2));
  const auto& s = agg.groups().at(0).samples;
  REQUIRE(s.size() == 2);
  CHECK(s[0].line == 1);
  CHECK(s[0].offset == 1000);
  CHECK(s[1].line == 2);
}

TEST_CASE("references survive a merge of worker parts, and match a text sample of the same line", "[sample_refs]") {
  Chunk c;
  std::vector<Aggregator> parts(2);
  parts[1].set_chunk(1, c.bytes, c.at);
  parts[1].add(hit_at(c.line(1), 2));
  parts[0].set_chunk(0);
  const std::string copy(c.line(1));  // the same text, held, in an earlier chunk
  parts[0].add(hit_at(copy, 5));
  Aggregator whole;
  whole.merge_parts(parts, {0, 10});
  const auto& s = whole.groups().at(0).samples;
  REQUIRE(s.size() == 1);  // one text, its earliest line
  CHECK(s[0].line == 5);
  CHECK_FALSE(s[0].by_reference());
  CHECK(whole.sample_text(s[0]) == copy);
}
