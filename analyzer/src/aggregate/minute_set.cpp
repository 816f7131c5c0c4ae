#include "aggregate/minute_set.hpp"

#include <utility>

namespace gw502 {

void MinuteSet::put_gap(std::vector<uint8_t>& out, uint64_t gap) {
  while (gap >= 0x80) {
    out.push_back(static_cast<uint8_t>(gap | 0x80));
    gap >>= 7;
  }
  out.push_back(static_cast<uint8_t>(gap));
}

size_t MinuteSet::gap_size(uint64_t gap) {
  size_t n = 1;
  while (gap >= 0x80) gap >>= 7, ++n;
  return n;
}

bool MinuteSet::insert_slow(Minute m) {
  if (count_ == 0) {
    first_ = last_ = m;
    count_ = 1;
    return true;
  }
  if (m > last_) {  // the usual case: hits in time order
    put_gap(gaps_, static_cast<uint64_t>(int64_t{m} - last_));
    last_ = m;
    ++count_;
    return true;
  }
  if (m == last_ || m == first_) return false;
  std::vector<uint8_t> gap;
  if (m < first_) {  // a new first minute: its gap to the old one goes in front
    put_gap(gap, static_cast<uint64_t>(int64_t{first_} - m));
    gaps_.insert(gaps_.begin(), gap.begin(), gap.end());
    first_ = m;
    ++count_;
    return true;
  }
  // Between first_ and last_: find the gap that steps over m and split it.
  int64_t prev = first_;
  const uint8_t* p = gaps_.data();
  for (;;) {
    const uint8_t* at = p;
    const int64_t next = prev + static_cast<int64_t>(read_gap(p));
    if (next == m) return false;
    if (next > m) {
      put_gap(gap, static_cast<uint64_t>(m - prev));
      put_gap(gap, static_cast<uint64_t>(next - m));
      const auto from = static_cast<size_t>(at - gaps_.data());
      const auto old = static_cast<size_t>(p - at);
      // The two new gaps take at least the old one's bytes.
      gaps_.insert(gaps_.begin() + static_cast<std::ptrdiff_t>(from + old), gap.size() - old, 0);
      std::copy(gap.begin(), gap.end(), gaps_.begin() + static_cast<std::ptrdiff_t>(from));
      ++count_;
      return true;
    }
    prev = next;
  }
}

void MinuteSet::merge(const MinuteSet& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  if (other.first_ > last_) {  // in chunk order: an append
    gaps_.reserve(gaps_.size() + gap_size(static_cast<uint64_t>(int64_t{other.first_} - last_)) +
                  other.gaps_.size());
    put_gap(gaps_, static_cast<uint64_t>(int64_t{other.first_} - last_));
    gaps_.insert(gaps_.end(), other.gaps_.begin(), other.gaps_.end());
    last_ = other.last_;
    count_ += other.count_;
    return;
  }
  // The union of two ascending runs, encoded as it goes.
  MinuteSet out;
  out.gaps_.reserve(gaps_.size() + other.gaps_.size());
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
      put_gap(out.gaps_, static_cast<uint64_t>(int64_t{m} - out.last_));
    }
    out.last_ = m;
    ++out.count_;
  }
  swap(out);
}

void MinuteSet::assign(const std::vector<Minute>& sorted) {
  gaps_.clear();
  count_ = 0;
  for (Minute m : sorted) {
    if (count_ == 0) {
      first_ = m;
    } else {
      put_gap(gaps_, static_cast<uint64_t>(int64_t{m} - last_));
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

void MinuteSet::swap(MinuteSet& o) noexcept {
  gaps_.swap(o.gaps_);
  std::swap(first_, o.first_);
  std::swap(last_, o.last_);
  std::swap(count_, o.count_);
}

}  // namespace gw502
