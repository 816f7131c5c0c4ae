// The framer cuts a source's bytes into newline-aligned chunks. next() reuses
// one buffer: no allocation after construction. next_owned() hands each
// chunk's buffer to the caller in exchange for a spare one, so the pipeline's
// workers get stream chunks without a copy.
#pragma once
#include <string>
#include <string_view>
#include <memory>
#include <utility>
#include <vector>

#include "source/source.hpp"

namespace gw502 {

// A chunk's buffer. Its chars are left uninitialised when it grows (the
// framer zeroes what it hands out past the data): pages that are never read
// into, such as the room kept for an over-long line, do not count toward RSS.
template <class T>
struct NoZeroAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = NoZeroAllocator<U>;
  };
  NoZeroAllocator() = default;
  template <class U>
  NoZeroAllocator(const NoZeroAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... A>
  void construct(U* p, A&&... a) {
    ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
  }
};
using ChunkBuffer = std::vector<char, NoZeroAllocator<char>>;

struct Chunk {
  // Whole lines, each ending in '\n' except possibly the last line of the input.
  std::string_view text;
  // The chunk is the first max_line bytes of one over-long line; the rest of
  // that line was skipped.
  bool overlong = false;
};

class Framer {
 public:
  // Bytes after every chunk that stay readable (simdjson needs 64).
  static constexpr size_t kPadding = 64;

  explicit Framer(Source& src, size_t block = 1 << 20, size_t max_line = 1 << 20);
  Framer(const Framer&) = delete;
  Framer& operator=(const Framer&) = delete;

  // Fills `out` with the next chunk; it stays valid until the next call.
  // Returns false at the end of the input. A read error ends the input too:
  // the bytes before it are still handed out, then error() says what broke.
  bool next(Chunk& out);
  const std::string& error() const { return error_; }

  // next(), and the buffer that holds the chunk goes to the caller: swapped
  // with `spare` (any vector; a recycled one of the same size costs no
  // allocation), into which the framer carries the bytes after the chunk.
  // The chunk stays valid as long as `spare` keeps that buffer. No copy of
  // the chunk itself: threads can own chunks straight from the decompressor.
  bool next_owned(Chunk& out, ChunkBuffer& spare);

 private:
  void fill(size_t want);
  void pad();

  Source& src_;
  size_t block_;
  size_t max_line_;
  ChunkBuffer buf_;
  size_t end_ = 0;       // bytes held
  size_t consumed_ = 0;  // bytes handed out by the previous call
  bool eof_ = false;
  bool skipping_ = false;
  std::string error_;
};

}  // namespace gw502
