// A group's distinct minutes with hits, ascending, in about a byte each or
// less. Two forms, chosen by density:
// - gaps: the first minute as it is, every later one as its distance from
//   the one before in 7-bit groups (LEB128): a gap under 128 minutes is one
//   byte, where a vector of 32-bit minutes took four (and its growth's slack);
// - bits: one bit per minute from the first one's multiple of 8 to the
//   last, for a set that fills most of its span (a group failing every
//   minute, an "(others)" group): 1,440 minutes in 180 bytes, and adding a
//   minute before the last one (a fold, a merge) sets a bit instead of
//   re-encoding the gaps after it.
// A fleet's log keeps thousands of groups in every worker's part, and at
// 1 GiB of multisite nginx their 32-bit minutes were the largest part of
// the heap's peak after the groups themselves (issue 16).
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

namespace gw502 {

class MinuteSet {
 public:
  using Minute = int32_t;

  MinuteSet() = default;
  // From distinct minutes in ascending order.
  explicit MinuteSet(const std::vector<Minute>& sorted) { assign(sorted); }

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  Minute front() const { return first_; }  // empty(): undefined
  Minute back() const { return last_; }    // empty(): undefined
  bool dense() const { return dense_; }    // the bit form (for tests)

  // Adds m; false when it was there.
  bool insert(Minute m) {
    if (count_ != 0) {
      if (dense_) {
        const int64_t at = int64_t{m} - base();
        if (at >= 0 && static_cast<uint64_t>(at) < data_.size() * 8u) return set_bit(m, static_cast<size_t>(at));
      } else if (m >= last_) {  // hits in time order: the last minute again, or a short step
        if (m == last_) return false;
        if (int64_t{m} - last_ < 0x80 && (count_ & 63u) != 0) {
          data_.push_back(static_cast<uint8_t>(m - last_));
          last_ = m;
          ++count_;
          return true;
        }
      }
    }
    return insert_slow(m);
  }
  // Adds every minute of other.
  void merge(const MinuteSet& other);
  void assign(const std::vector<Minute>& sorted);
  std::vector<Minute> to_vector() const;
  // Empties it and gives its memory back.
  void release() { *this = MinuteSet(); }
  void swap(MinuteSet& o) noexcept;
  // Bytes held on the heap.
  size_t heap_bytes() const { return data_.capacity(); }

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Minute;
    using difference_type = std::ptrdiff_t;
    using pointer = const Minute*;
    using reference = Minute;
    const_iterator() = default;
    Minute operator*() const { return value_; }
    const_iterator& operator++() {
      if (dense_) {
        rest_ &= rest_ - 1u;
        while (rest_ == 0) {
          if (++at_ == end_) {
            done_ = true;
            return *this;
          }
          rest_ = *at_;
          byte_base_ += 8;
        }
        value_ = static_cast<Minute>(byte_base_ + __builtin_ctz(rest_));
      } else if (at_ == end_) {
        done_ = true;
      } else {
        value_ = static_cast<Minute>(value_ + static_cast<int64_t>(read_gap(at_)));
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const {
      return done_ == o.done_ && (done_ || (at_ == o.at_ && value_ == o.value_));
    }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class MinuteSet;
    Minute value_ = 0;
    const uint8_t* at_ = nullptr;  // gaps: the next gap; bits: the current byte
    const uint8_t* end_ = nullptr;
    int64_t byte_base_ = 0;  // bits: the minute of the current byte's bit 0
    unsigned rest_ = 0;      // bits: the current byte's bits not visited yet (the current one included)
    bool dense_ = false;
    bool done_ = true;
  };
  const_iterator begin() const;
  const_iterator end() const { return const_iterator(); }

  // The same minutes (whichever form each is in).
  bool operator==(const MinuteSet& o) const;
  bool operator!=(const MinuteSet& o) const { return !(*this == o); }

 private:
  // Reads one gap at p and moves p past it.
  static uint64_t read_gap(const uint8_t*& p) {
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
      const uint8_t b = *p++;
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) return v;
    }
  }
  // Bits: the minute of the first byte's bit 0 (first_ rounded down to a multiple of 8).
  int64_t base() const { return int64_t{first_} - ((int64_t{first_} % 8 + 8) % 8); }
  bool set_bit(Minute m, size_t at) {
    uint8_t& b = data_[at / 8];
    const auto bit = static_cast<uint8_t>(1u << (at % 8));
    if (b & bit) return false;
    b |= bit;
    ++count_;
    if (m < first_) first_ = m;
    if (m > last_) last_ = m;
    return true;
  }
  bool insert_slow(Minute m);
  // Bytes of bits from lo's multiple of 8 to hi.
  static uint64_t span_bytes(int64_t lo, int64_t hi);
  // Bits: grows them to hold [lo, hi] as well; first_ becomes lo when lower
  // (the caller sets lo's and hi's bits).
  void widen_bits(Minute lo, Minute hi);
  // Switches form when the other one is smaller by enough (never back and
  // forth on every add).
  void choose_form();
  void to_gaps();
  void encode_gaps(const std::vector<Minute>& sorted);
  void to_bits();
  static void put_gap(std::vector<uint8_t>& out, uint64_t gap);
  void union_gaps(const MinuteSet& other);  // both in gaps (merge)

  std::vector<uint8_t> data_;  // gaps (count_ - 1 of them, each > 0), or bits
  Minute first_ = 0, last_ = 0;
  uint32_t count_ = 0;
  bool dense_ = false;
};

}  // namespace gw502
