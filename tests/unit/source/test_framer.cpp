#include "source/framer.hpp"
#include "helpers.hpp"

using namespace gw502;
using gw502::test::StringSource;

namespace {

std::vector<Chunk> frame_all(const std::string& data, size_t block, size_t max_line, size_t step,
                             std::string* joined = nullptr) {
  StringSource src(data, step);
  Framer f(src, block, max_line);
  std::vector<Chunk> out;
  Chunk c;
  while (f.next(c)) {
    if (joined) joined->append(c.text.data(), c.text.size());
    Chunk copy = c;
    out.push_back(copy);
  }
  return out;
}

}  // namespace

TEST_CASE("chunks are newline aligned and lose nothing", "[framer]") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += "line " + std::to_string(i) + " " + std::string(i % 37, 'x') + "\n";
  for (size_t block : {16u, 100u, 4096u})
    for (size_t step : {1u, 7u, 1u << 20}) {
      std::string joined;
      StringSource src(data, step);
      Framer f(src, block, 1024);
      Chunk c;
      while (f.next(c)) {
        REQUIRE(!c.text.empty());
        CHECK(c.text.back() == '\n');
        CHECK_FALSE(c.overlong);
        joined.append(c.text.data(), c.text.size());
      }
      CHECK(f.error().empty());
      CHECK(joined == data);
    }
}

TEST_CASE("the last line may lack its newline", "[framer]") {
  std::string joined;
  frame_all("a\nb\nlast", 4, 64, 3, &joined);
  CHECK(joined == "a\nb\nlast");
}

TEST_CASE("an over-long line is cut at max_line and the rest skipped", "[framer]") {
  std::string data = "short\n" + std::string(10000, 'L') + "\nafter\n";
  StringSource src(data, 333);
  Framer f(src, 64, 128);
  std::vector<std::string> texts;
  std::vector<bool> overlong;
  Chunk c;
  while (f.next(c)) {
    texts.emplace_back(c.text);
    overlong.push_back(c.overlong);
  }
  std::string all;
  for (size_t i = 0; i < texts.size(); ++i)
    if (!overlong[i]) all += texts[i];
  CHECK(all == "short\nafter\n");
  int cut = 0;
  for (size_t i = 0; i < texts.size(); ++i)
    if (overlong[i]) {
      ++cut;
      CHECK(texts[i] == std::string(128, 'L'));
    }
  CHECK(cut == 1);
}

TEST_CASE("empty input gives no chunk", "[framer]") {
  CHECK(frame_all("", 64, 64, 8).empty());
}

TEST_CASE("a handed-over chunk is followed by zeros, whatever its buffer held before", "[framer]") {
  std::string data;
  for (int i = 0; i < 200; ++i) data += "line " + std::to_string(i) + "\n";
  data += "last line without its newline";
  StringSource src(data, 97);
  Framer f(src, 256, 128);
  ChunkBuffer spare(4096, 'x');  // a recycled buffer full of old bytes
  Chunk c;
  std::string got;
  while (f.next_owned(c, spare)) {
    got += c.text;
    // The bytes after the chunk are the next lines' start or zeros: never
    // what the buffer held before (the decoders may read a few past a line).
    const char* after = c.text.data() + c.text.size();
    const std::string_view rest(after, Framer::kPadding);
    CHECK(rest.find('x') == std::string_view::npos);
    spare.assign(spare.size(), 'x');
  }
  CHECK(got == data);
}
