#include "source/framer.hpp"

#include <algorithm>
#include <cstring>

namespace gw502 {

Framer::Framer(Source& src, size_t block, size_t max_line)
    : src_(src), block_(block), max_line_(max_line), buf_(block + max_line + kPadding) {}

// Reads until `want` bytes are held, the buffer is full, or the input ends.
// Each read asks for what is wanted (at least kReadStep), not for the whole
// buffer: its room for an over-long line is only touched by one.
void Framer::fill(size_t want) {
  constexpr size_t kReadStep = 64 << 10;
  const size_t cap = buf_.size() - kPadding;
  while (!eof_ && end_ < want && end_ < cap) {
    const size_t ask = std::min(cap, std::max(want, end_ + kReadStep)) - end_;
    long r = src_.read(buf_.data() + end_, ask, error_);
    if (r <= 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(r);
  }
}

// Past the data: zeros, not what an earlier chunk left (or nothing), for
// kPadding bytes and one more where the buffer has it: the pipeline ends an
// over-long line's cut with a '\n' at max_line_, its padding one byte later.
void Framer::pad() {
  std::memset(buf_.data() + end_, 0, std::min(kPadding + 1, buf_.size() - end_));
}

bool Framer::next(Chunk& out) {
  out.overlong = false;
  for (;;) {
    if (consumed_) {
      std::memmove(buf_.data(), buf_.data() + consumed_, end_ - consumed_);
      end_ -= consumed_;
      consumed_ = 0;
    }
    fill(block_);
    char* base = buf_.data();
    if (skipping_) {
      // Dropping the tail of an over-long line, up to and including its newline.
      auto* nl = static_cast<char*>(std::memchr(base, '\n', end_));
      if (!nl) {
        end_ = 0;
        if (eof_) return false;
        continue;
      }
      consumed_ = static_cast<size_t>(nl - base) + 1;
      skipping_ = false;
      continue;
    }
    if (end_ == 0) return false;
    auto* nl = static_cast<char*>(memrchr(base, '\n', end_));
    if (nl) {
      consumed_ = static_cast<size_t>(nl - base) + 1;
    } else if (eof_) {
      consumed_ = end_;
    } else if (end_ >= max_line_) {
      consumed_ = end_;
      skipping_ = true;
      out.text = std::string_view(base, max_line_);
      out.overlong = true;
      pad();
      return true;
    } else {
      // A partial line: read on until it ends or grows past max_line.
      fill(end_ + 1);
      continue;
    }
    out.text = std::string_view(base, consumed_);
    pad();
    return true;
  }
}

bool Framer::next_owned(Chunk& out, ChunkBuffer& spare) {
  if (!next(out)) return false;
  spare.resize(buf_.size());
  const size_t tail = end_ - consumed_;
  std::memcpy(spare.data(), buf_.data() + consumed_, tail);
  buf_.swap(spare);  // vectors swap their storage: out.text now lives in spare
  end_ = tail;
  consumed_ = 0;
  return true;
}

}  // namespace gw502
