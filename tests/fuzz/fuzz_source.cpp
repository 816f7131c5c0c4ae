// The byte sources (plain, gzip, zstd; told apart by magic bytes) and the
// Framer, on a memfd as the CLI opens files. The first input byte picks the
// mode and the framer's sizes; the rest is the payload.
//   mode 0: the payload as it is (often a broken gzip/zstd header).
//   mode 1: the payload gzip-compressed, as one member or cut in two members
//           (what `cat a.gz b.gz` gives); mode 2: zstd-compressed, one or two
//           frames. With bit 7 of the second byte set, one byte of the
//           compressed file is flipped (a corrupt archive).
// Oracles: no crash or sanitizer report, the read ends; an intact archive
// reads back exactly the payload; the framer's chunks put together are the
// bytes read, every chunk but the last ends in a newline, and two block sizes
// give the same chunks' text.
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "source/framer.hpp"
#include "source/source.hpp"

using namespace gw502;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "DIFF: %s\n", what);
  std::abort();
}

std::string gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(n)) std::abort();
  out.resize(n);
  return out;
}

std::unique_ptr<Source> open_bytes(std::string_view bytes) {
  int fd = ::memfd_create("fuzz", 0);
  if (fd < 0) std::abort();
  for (size_t off = 0; off < bytes.size();) {
    ssize_t w = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (w <= 0) std::abort();
    off += static_cast<size_t>(w);
  }
  ::lseek(fd, 0, SEEK_SET);
  std::string err;
  auto src = source_from_fd(fd, true, err);
  if (!src) std::abort();
  return src;
}

// Everything the source gives, read in odd-sized steps; false on a read error.
bool read_all(Source& src, std::string& out) {
  std::string err;
  char buf[1531];
  for (;;) {
    long n = src.read(buf, sizeof buf, err);
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (64u << 20)) fail("source gives more than 64 MiB");  // a zip bomb bound
  }
}

// The framer's chunks, concatenated, with the newline invariant checked;
// clean is false when the source ended in a read error.
std::string frame_all(Source& src, size_t block, size_t max_line, bool& clean) {
  Framer fr(src, block, max_line);
  Chunk c;
  std::string all;
  bool last_open = false;
  while (fr.next(c)) {
    if (last_open) fail("a chunk other than the last does not end in a newline");
    if (c.text.empty()) fail("empty chunk");
    if (!c.overlong && c.text.back() != '\n') last_open = true;
    if (!c.overlong) all.append(c.text.data(), c.text.size());
  }
  clean = fr.error().empty();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 256 << 10) return 0;
  const unsigned mode = data[0] % 3;
  const size_t block = size_t{16} << ((data[0] >> 2) % 12);  // 16 B .. 32 KiB
  const bool corrupt = (data[1] & 0x80) != 0;
  std::string_view payload(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::string file;
  if (mode == 0) {
    file.assign(payload);
  } else {
    const size_t cut = (data[1] & 1) ? payload.size() / 2 : payload.size();
    auto pack = mode == 1 ? gzip : zstd;
    file = pack(payload.substr(0, cut));
    if (cut < payload.size()) file += pack(payload.substr(cut));
    if (corrupt && !file.empty()) file[(data[1] * 7919u) % file.size()] ^= 0x5a;
  }

  std::string got;
  auto src = open_bytes(file);
  const bool ok = read_all(*src, got);
  if (mode != 0 && !corrupt) {
    if (!ok) fail("an intact archive gives a read error");
    if (got != payload) fail("an intact archive reads back other bytes than were packed");
  }
  if (mode == 0 && ok && src->compression() == Compression::none && got != payload)
    fail("a plain file reads back other bytes");

  // The framer over the same file. Where no line reaches max_line and no
  // read error cuts the input short, the chunks put together are what the
  // source gave, whatever the block size.
  auto a = open_bytes(file);
  auto b = open_bytes(file);
  bool clean_a = false, clean_b = false;
  std::string fa = frame_all(*a, block, 4 << 20, clean_a);
  std::string fb = frame_all(*b, 1 << 20, 4 << 20, clean_b);
  if (ok && got.size() < (4u << 20)) {
    if (!clean_a || !clean_b) fail("the framer reports an error the source did not");
    if (fa != fb) fail("two block sizes frame different text");
    if (fa != got) fail("the chunks put together are not the bytes read");
  }
  // A small line limit: overlong lines are cut, nothing crashes.
  auto c = open_bytes(file);
  bool clean_c = false;
  frame_all(*c, block, 64, clean_c);
  return 0;
}
