#include "aggregate/minute_set.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace gw502 {
namespace {

// Bits when they take at most three quarters of the gaps' bytes, gaps again
// when the bits take more than twice: a set near the line keeps its form.
constexpr size_t kMinDense = 32;  // fewer minutes stay gaps
bool bits_smaller(uint64_t span_bytes, size_t gap_bytes) { return span_bytes * 4 <= gap_bytes * 3; }
bool bits_too_big(uint64_t span_bytes, size_t count) { return span_bytes > 2 * count + 64; }

}  // namespace

void MinuteSet::put_gap(std::vector<uint8_t>& out, uint64_t gap) {
  while (gap >= 0x80) {
    out.push_back(static_cast<uint8_t>(gap | 0x80));
    gap >>= 7;
  }
  out.push_back(static_cast<uint8_t>(gap));
}

MinuteSet::const_iterator MinuteSet::begin() const {
  const_iterator it;
  if (count_ == 0) return it;
  it.done_ = false;
  it.dense_ = dense_;
  it.at_ = data_.data();
  it.end_ = data_.data() + data_.size();
  if (dense_) {
    it.byte_base_ = base();
    it.rest_ = data_[0];  // holds first_'s bit
    it.value_ = static_cast<Minute>(it.byte_base_ + __builtin_ctz(it.rest_));
  } else {
    it.value_ = first_;
  }
  return it;
}

bool MinuteSet::insert_slow(Minute m) {
  if (count_ == 0) {
    data_.clear();
    dense_ = false;
    first_ = last_ = m;
    count_ = 1;
    return true;
  }
  if (dense_) {  // outside the bytes held: grow them at either end, or go back to gaps
    const int64_t lo = std::min<int64_t>(m, first_), hi = std::max<int64_t>(m, last_);
    if (bits_too_big(span_bytes(lo, hi), count_ + 1)) {
      to_gaps();
      return insert_slow(m);
    }
    widen_bits(m, m);
    return set_bit(m, static_cast<size_t>(int64_t{m} - base()));
  }
  std::vector<uint8_t> gap;
  if (m > last_) {
    put_gap(data_, static_cast<uint64_t>(int64_t{m} - last_));
    last_ = m;
  } else if (m == last_ || m == first_) {
    return false;
  } else if (m < first_) {  // a new first minute: its gap to the old one goes in front
    put_gap(gap, static_cast<uint64_t>(int64_t{first_} - m));
    data_.insert(data_.begin(), gap.begin(), gap.end());
    first_ = m;
  } else {  // between first_ and last_: find the gap that steps over m and split it
    int64_t prev = first_;
    const uint8_t* p = data_.data();
    for (;;) {
      const uint8_t* at = p;
      const int64_t next = prev + static_cast<int64_t>(read_gap(p));
      if (next == m) return false;
      if (next > m) {
        put_gap(gap, static_cast<uint64_t>(m - prev));
        put_gap(gap, static_cast<uint64_t>(next - m));
        const auto from = static_cast<size_t>(at - data_.data());
        const auto old = static_cast<size_t>(p - at);
        // The two new gaps take at least the old one's bytes.
        data_.insert(data_.begin() + static_cast<std::ptrdiff_t>(from + old), gap.size() - old, 0);
        std::copy(gap.begin(), gap.end(), data_.begin() + static_cast<std::ptrdiff_t>(from));
        break;
      }
      prev = next;
    }
  }
  ++count_;
  choose_form();
  return true;
}

void MinuteSet::choose_form() {
  if (dense_ || count_ < kMinDense) return;
  if (bits_smaller(span_bytes(first_, last_), data_.size())) to_bits();
}

void MinuteSet::to_bits() {
  const std::vector<Minute> v = to_vector();
  const int64_t b = base();
  std::vector<uint8_t> bits(static_cast<size_t>((int64_t{last_} - b) / 8 + 1), 0);
  for (Minute m : v) {
    const auto at = static_cast<size_t>(int64_t{m} - b);
    bits[at / 8] = static_cast<uint8_t>(bits[at / 8] | (1u << (at % 8)));
  }
  data_.swap(bits);
  dense_ = true;
}

void MinuteSet::to_gaps() {
  const std::vector<Minute> v = to_vector();
  encode_gaps(v);  // not choose_form(): the caller is about to add what made the bits too big
}

uint64_t MinuteSet::span_bytes(int64_t lo, int64_t hi) {
  return static_cast<uint64_t>((hi - (lo - (lo % 8 + 8) % 8)) / 8 + 1);
}

void MinuteSet::widen_bits(Minute lo, Minute hi) {
  const int64_t l = std::min<int64_t>(lo, first_), h = std::max<int64_t>(hi, last_);
  const int64_t new_base = l - ((l % 8 + 8) % 8);
  const auto front = static_cast<size_t>((base() - new_base) / 8);
  if (front) data_.insert(data_.begin(), front, 0);
  data_.resize(static_cast<size_t>(span_bytes(l, h)), 0);
  first_ = static_cast<Minute>(l);  // base() follows; the caller sets l's bit
}

void MinuteSet::merge(const MinuteSet& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  // Into bits, when the union still fills enough of its span: a bit per
  // minute of other (a group folded into a dense "(others)"). Gaps into
  // bits: the same, into a copy of the bits.
  if (dense_ || other.dense_) {
    const int64_t lo = std::min(first_, other.first_), hi = std::max(last_, other.last_);
    if (!bits_too_big(span_bytes(lo, hi), std::max(count_, other.count_))) {
      if (!dense_) {
        MinuteSet out = other;
        out.merge(*this);
        swap(out);
        return;
      }
      widen_bits(other.first_, other.last_);
      for (const Minute m : other) set_bit(m, static_cast<size_t>(int64_t{m} - base()));
      return;
    }
  } else if (other.first_ > last_) {  // in chunk order: an append
    put_gap(data_, static_cast<uint64_t>(int64_t{other.first_} - last_));
    data_.insert(data_.end(), other.data_.begin(), other.data_.end());
    last_ = other.last_;
    count_ += other.count_;
    choose_form();
    return;
  }
  if (!dense_ && !other.dense_) {
    union_gaps(other);
    return;
  }
  // The union of two ascending runs, encoded as it goes.
  MinuteSet out;
  out.data_.reserve(data_.size() + other.data_.size());
  auto a = begin(), b = other.begin();
  const auto stop = end();
  while (a != stop || b != stop) {
    Minute m;
    if (b == stop || (a != stop && *a < *b)) {
      m = *a++;
    } else if (a == stop || *b < *a) {
      m = *b++;
    } else {
      m = *a++;
      ++b;
    }
    if (out.count_ == 0) {
      out.first_ = m;
    } else {
      put_gap(out.data_, static_cast<uint64_t>(int64_t{m} - out.last_));
    }
    out.last_ = m;
    ++out.count_;
  }
  swap(out);  // gaps
  choose_form();
}

// Two sets of gaps: both streams read and the union written as they go,
// into bytes sized once. Each gap of the union is at most the gap before the
// same minute in its own set, so the union takes at most both sets' bytes
// and one gap more (the later first minute's). Once one set ends, the rest
// of the other is its own gaps as they are.
void MinuteSet::union_gaps(const MinuteSet& other) {
  std::vector<uint8_t> out(data_.size() + other.data_.size() + 10);
  uint8_t* w = out.data();
  const uint8_t *pa = data_.data(), *ea = pa + data_.size();
  const uint8_t *pb = other.data_.data(), *eb = pb + other.data_.size();
  int64_t a = first_, b = other.first_;
  const int64_t first = std::min(a, b);
  int64_t last = first;
  uint32_t count = 1;
  auto put = [&](int64_t m) {
    uint64_t gap = static_cast<uint64_t>(m - last);
    while (gap >= 0x80) {
      *w++ = static_cast<uint8_t>(gap | 0x80);
      gap >>= 7;
    }
    *w++ = static_cast<uint8_t>(gap);
    last = m;
    ++count;
  };
  // The smaller first minute is the union's; it is consumed here.
  bool a_left = true, b_left = true;
  if (a <= b) {
    if (a == b) {
      if (pb == eb) b_left = false; else b += static_cast<int64_t>(read_gap(pb));
    }
    if (pa == ea) a_left = false; else a += static_cast<int64_t>(read_gap(pa));
  } else {
    if (pb == eb) b_left = false; else b += static_cast<int64_t>(read_gap(pb));
  }
  while (a_left && b_left) {
    if (a < b) {
      put(a);
      if (pa == ea) a_left = false; else a += static_cast<int64_t>(read_gap(pa));
    } else {
      put(b);
      if (a == b) {
        if (pa == ea) a_left = false; else a += static_cast<int64_t>(read_gap(pa));
      }
      if (pb == eb) b_left = false; else b += static_cast<int64_t>(read_gap(pb));
    }
  }
  // The rest of one set: its next minute, then its gaps unchanged.
  auto rest = [&](int64_t next, const uint8_t* p, const uint8_t* e, int64_t set_last) {
    put(next);
    const size_t n = static_cast<size_t>(e - p);
    if (n) std::memcpy(w, p, n);
    w += n;
    for (; p != e; ++p) count += (*p & 0x80) ? 0 : 1;  // a gap's last byte: one minute more
    last = set_last;
  };
  if (a_left) rest(a, pa, ea, last_);
  if (b_left) rest(b, pb, eb, other.last_);
  out.resize(static_cast<size_t>(w - out.data()));
  data_.swap(out);
  first_ = static_cast<Minute>(first);
  last_ = static_cast<Minute>(last);
  count_ = count;
  choose_form();
}

void MinuteSet::assign(const std::vector<Minute>& sorted) {
  encode_gaps(sorted);
  choose_form();
}

void MinuteSet::encode_gaps(const std::vector<Minute>& sorted) {
  data_.clear();
  count_ = 0;
  dense_ = false;
  for (Minute m : sorted) {
    if (count_ == 0) {
      first_ = m;
    } else {
      put_gap(data_, static_cast<uint64_t>(int64_t{m} - last_));
    }
    last_ = m;
    ++count_;
  }
}

std::vector<MinuteSet::Minute> MinuteSet::to_vector() const {
  std::vector<Minute> v;
  v.reserve(count_);
  for (Minute m : *this) v.push_back(m);
  return v;
}

bool MinuteSet::operator==(const MinuteSet& o) const {
  if (count_ != o.count_ || (count_ && (first_ != o.first_ || last_ != o.last_))) return false;
  if (dense_ == o.dense_) return data_ == o.data_;
  for (auto a = begin(), b = o.begin(); a != end(); ++a, ++b)
    if (*a != *b) return false;
  return true;
}

void MinuteSet::swap(MinuteSet& o) noexcept {
  data_.swap(o.data_);
  std::swap(first_, o.first_);
  std::swap(last_, o.last_);
  std::swap(count_, o.count_);
  std::swap(dense_, o.dense_);
}

}  // namespace gw502
