// A group's distinct minutes with hits, ascending, in about one byte each.
// The first minute is held as it is; every later one as its distance from
// the one before, in 7-bit groups (LEB128): a gap under 128 minutes is one
// byte, where a vector of 32-bit minutes took four (with its growth's slack,
// more). A fleet's log keeps thousands of groups in every worker's part,
// and at 1 GiB of multisite nginx their minutes were the largest part of
// the heap's peak after the groups themselves (issue 16).
// Hits come mostly in time order: adding a minute after the last is an
// append; one before it is found by decoding from the front.
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

  // Adds m; false when it was there.
  bool insert(Minute m) {
    if (count_ != 0 && m >= last_) {  // hits in time order: the last minute again, or a short step
      if (m == last_) return false;
      if (int64_t{m} - last_ < 0x80) {
        gaps_.push_back(static_cast<uint8_t>(m - last_));
        last_ = m;
        ++count_;
        return true;
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
  size_t heap_bytes() const { return gaps_.capacity(); }

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
      if (at_ == end_) {
        done_ = true;
        return *this;
      }
      value_ = static_cast<Minute>(value_ + static_cast<int64_t>(read_gap(at_)));
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const { return done_ == o.done_ && (done_ || at_ == o.at_); }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class MinuteSet;
    const_iterator(Minute first, const uint8_t* at, const uint8_t* end, bool done)
        : value_(first), at_(at), end_(end), done_(done) {}
    Minute value_ = 0;
    const uint8_t* at_ = nullptr;  // the next gap
    const uint8_t* end_ = nullptr;
    bool done_ = true;
  };
  const_iterator begin() const {
    return const_iterator(first_, gaps_.data(), gaps_.data() + gaps_.size(), count_ == 0);
  }
  const_iterator end() const { return const_iterator(); }

  bool operator==(const MinuteSet& o) const {
    return count_ == o.count_ && (count_ == 0 || (first_ == o.first_ && gaps_ == o.gaps_));
  }
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
  bool insert_slow(Minute m);
  static void put_gap(std::vector<uint8_t>& out, uint64_t gap);
  static size_t gap_size(uint64_t gap);

  std::vector<uint8_t> gaps_;  // count_ - 1 gaps, each > 0
  Minute first_ = 0, last_ = 0;
  uint32_t count_ = 0;
};

}  // namespace gw502
