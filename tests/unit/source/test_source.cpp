#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <fstream>

#include "helpers.hpp"

using namespace gw502;

namespace {

std::string temp_path(const char* name) {
  return std::string("/tmp/gw502_test_") + std::to_string(::getpid()) + "_" + name;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

// Reads everything; returns false (and err) when the source fails.
bool read_all(Source& s, std::string& out, std::string& err) {
  char buf[7];  // odd, small reads exercise the decoders' loops
  for (;;) {
    long r = s.read(buf, sizeof buf, err);
    if (r < 0) return false;
    if (r == 0) return true;
    out.append(buf, static_cast<size_t>(r));
  }
}

const std::string kText = "line one\nline two\n2024/01/15 10:23:45 [error] 1#1: x\n";

// A file of `bytes`, opened by open_source(): what it is told to be, and what it reads as.
struct FileCase {
  const char* name;
  std::string bytes, want;
  Compression kind;
};

void check_opens(const FileCase& c) {
  INFO(c.name);
  std::string path = temp_path(c.name);
  write_file(path, c.bytes);
  std::string err, got;
  auto src = open_source(path, err);
  REQUIRE(src);
  CHECK(src->compression() == c.kind);
  REQUIRE(read_all(*src, got, err));
  CHECK(got == c.want);
  std::remove(path.c_str());
}

}  // namespace

TEST_CASE("plain, gzip and zstd are told apart by magic bytes, not names", "[source]") {
  for (const FileCase& c : {FileCase{"plain.gz", kText, kText, Compression::none},
                            FileCase{"packed.log", gzip(kText), kText, Compression::gzip},
                            FileCase{"packed.txt", zstd(kText), kText, Compression::zstd}})
    check_opens(c);
}

TEST_CASE("pretty-printed JSON is told after decompression too", "[source][json_document]") {
  const std::string pretty = "[\n  {\n    \"a\": 1\n  },\n  {\n    \"b\": \"x y\"\n  }\n]\n";
  const std::string small = "{\n}\n";  // shorter than the look at the head
  for (const FileCase& c : {FileCase{"p.json.gz", gzip(pretty), "{\"a\":1}\n{\"b\":\"x y\"}\n", Compression::gzip},
                            FileCase{"p.json.zst", zstd(pretty), "{\"a\":1}\n{\"b\":\"x y\"}\n", Compression::zstd},
                            FileCase{"s.json.gz", gzip(small), "{}\n", Compression::gzip},
                            FileCase{"t.log.gz", gzip(kText), kText, Compression::gzip}})
    check_opens(c);
}

TEST_CASE("concatenated gzip members read as one stream", "[source]") {
  std::string path = temp_path("multi.gz");
  write_file(path, gzip("a\n") + gzip("b\n"));
  std::string err, got;
  auto src = open_source(path, err);
  REQUIRE(src);
  REQUIRE(read_all(*src, got, err));
  CHECK(got == "a\nb\n");
  std::remove(path.c_str());
}

TEST_CASE("truncated archives fail with a reason after yielding what they hold", "[source]") {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "2024/01/15 10:23:45 [error] 1#1: line " + std::to_string(i) + "\n";
  for (auto kind : {Compression::gzip, Compression::zstd}) {
    std::string packed = kind == Compression::gzip ? gzip(big) : zstd(big);
    std::string path = temp_path("trunc");
    write_file(path, packed.substr(0, packed.size() / 2));
    std::string err, got;
    auto src = open_source(path, err);
    REQUIRE(src);
    CHECK_FALSE(read_all(*src, got, err));
    CHECK(err.find("truncated") != std::string::npos);
    CHECK(got.size() > 0);
    CHECK(big.compare(0, got.size(), got) == 0);
    std::remove(path.c_str());
  }
}

TEST_CASE("corrupt archives fail, they do not loop", "[source]") {
  std::string packed = gzip(kText);
  packed[12] ^= 0x55;
  packed[13] ^= 0x55;
  std::string path = temp_path("corrupt.gz");
  write_file(path, packed);
  std::string err, got;
  auto src = open_source(path, err);
  REQUIRE(src);
  bool ok = read_all(*src, got, err);
  CHECK_FALSE(ok);  // a bad block, or at the latest the CRC at the member's end
  CHECK(err.find("corrupt gzip data") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("missing files and directories are refused with a reason", "[source]") {
  std::string err;
  CHECK_FALSE(open_source("/nonexistent/gw502.log", err));
  CHECK(err == "No such file or directory");
  CHECK_FALSE(open_source("/tmp", err));
  CHECK(err == "is a directory");
}

TEST_CASE("an empty file is an empty source", "[source]") {
  std::string path = temp_path("empty");
  write_file(path, "");
  std::string err, got;
  auto src = open_source(path, err);
  REQUIRE(src);
  REQUIRE(read_all(*src, got, err));
  CHECK(got.empty());
  std::remove(path.c_str());
}

TEST_CASE("a mapped file truncated under the reader reads as zeros past its end, no SIGBUS", "[source][D3]") {
  std::string path = "/tmp/gw502_map_trunc_" + std::to_string(::getpid()) + ".log";
  {
    std::ofstream f(path, std::ios::binary);
    f << std::string(4 << 20, 'x');
  }
  std::string err;
  auto src = open_source(path, err);
  REQUIRE(src);
  std::string_view m;
  REQUIRE(src->map(m));
  CHECK(src->map_valid_size() == m.size());
  REQUIRE(::truncate(path.c_str(), 4096 + 10) == 0);
  CHECK(src->map_valid_size() == 4096 + 10);
  // Touching the pages past the end used to kill the process.
  size_t x = 0, zeros = 0;
  for (size_t i = 0; i < m.size(); i += 1000) {
    x += static_cast<unsigned char>(m[i]);
    zeros += m[i] == '\0';
  }
  CHECK(m[0] == 'x');
  CHECK(m[m.size() - 1] == '\0');
  CHECK(zeros > 4000);
  CHECK(src->map_valid_size() == 4096 + 10);
  ::unlink(path.c_str());
}

TEST_CASE("map_skip_line finds the next newline without the map, across holes", "[source][D1]") {
  std::string path = "/tmp/gw502_skip_" + std::to_string(::getpid()) + ".log";
  {
    std::ofstream f(path, std::ios::binary);
    f << "abc\n";
    f.seekp(64 << 20);
    f << "tail\nend";
  }
  std::string err;
  auto src = open_source(path, err);
  REQUIRE(src);
  std::string_view m;
  REQUIRE(src->map(m));
  CHECK(src->map_skip_line(0) == 4);
  CHECK(src->map_skip_line(4) == (64u << 20) + 5);
  CHECK(src->map_skip_line((64u << 20) + 5) == m.size());
  ::unlink(path.c_str());
}

TEST_CASE("UTF-16 text with its byte-order mark (PowerShell 5's `>`) reads as UTF-8", "[source]") {
  // "caf\u00e9 \U0001F600\r\n" + kText, as UTF-16 code units.
  std::vector<uint16_t> units = {'c', 'a', 'f', 0x00E9, ' ', 0xD83D, 0xDE00, '\r', '\n'};
  for (char c : kText) units.push_back(static_cast<unsigned char>(c));
  const std::string want = "caf\xc3\xa9 \xf0\x9f\x98\x80\r\n" + kText;
  for (bool big : {false, true}) {
    std::string bytes = big ? std::string("\xfe\xff", 2) : std::string("\xff\xfe", 2);
    for (uint16_t u : units) {
      const char hi = static_cast<char>(u >> 8), lo = static_cast<char>(u & 0xff);
      bytes += big ? std::string{hi, lo} : std::string{lo, hi};
    }
    std::string path = temp_path(big ? "u16be.log" : "u16le.log");
    write_file(path, bytes);
    std::string err, got;
    auto src = open_source(path, err);
    REQUIRE(src);
    REQUIRE(read_all(*src, got, err));
    CHECK(got == want);
    // A lone surrogate is U+FFFD; an odd last byte fails after what could be read.
    write_file(path, big ? std::string("\xfe\xff\xd8\x3d\x00\x41\x00", 7) : std::string("\xff\xfe\x3d\xd8\x41\x00\x42", 7));
    got.clear();
    src = open_source(path, err);
    REQUIRE(src);
    CHECK_FALSE(read_all(*src, got, err));
    CHECK(got == "\xef\xbf\xbd" "A");
    CHECK(err.find("odd number of bytes") != std::string::npos);
    std::remove(path.c_str());
  }
}
