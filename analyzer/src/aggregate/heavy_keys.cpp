#include "aggregate/heavy_keys.hpp"

#include <algorithm>

namespace gw502 {
namespace {

constexpr size_t kSlots = HeavyKeys::kCounters * 2;  // at most half full
constexpr size_t kMask = kSlots - 1;
static_assert((kSlots & kMask) == 0, "a power of two");

size_t home(uint64_t key) { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 40) & kMask; }

}  // namespace

void HeavyKeys::insert(uint64_t key, uint64_t count) {
  size_t at = home(key);
  while (slots_[at].count) at = (at + 1) & kMask;
  slots_[at] = Slot{key, count};
  ++used_;
}

void HeavyKeys::add(uint64_t key, uint64_t weight) {
  if (weight == 0) return;
  if (slots_.empty()) slots_.assign(kSlots, Slot{0, 0});
  total_ += weight;
  for (size_t at = home(key); slots_[at].count; at = (at + 1) & kMask)
    if (slots_[at].key == key) {
      slots_[at].count += weight;
      return;
    }
  if (used_ == kCounters) {
    shrink();
    // The new key pays the same toll as the counters did: what is left of
    // its weight, if anything, takes a counter.
    const uint64_t toll = last_toll_;
    if (weight <= toll) return;
    weight -= toll;
  }
  insert(key, weight);
}

void HeavyKeys::shrink() {
  scratch_.clear();
  for (const Slot& s : slots_)
    if (s.count) scratch_.push_back(s.count);
  auto mid = scratch_.begin() + static_cast<std::ptrdiff_t>(scratch_.size() / 2);
  std::nth_element(scratch_.begin(), mid, scratch_.end());
  const uint64_t toll = *mid;
  // Survivors to the front of scratch_ (as key, count pairs), then placed
  // again in the emptied table.
  scratch_.clear();
  for (Slot& s : slots_) {
    if (s.count > toll) {
      scratch_.push_back(s.key);
      scratch_.push_back(s.count - toll);
    }
    s = Slot{0, 0};
  }
  used_ = 0;
  for (size_t i = 0; i < scratch_.size(); i += 2) insert(scratch_[i], scratch_[i + 1]);
  last_toll_ = toll;
}

void HeavyKeys::merge(const HeavyKeys& other) {
  const uint64_t before = total_;
  for (const Slot& s : other.slots_)
    if (s.count) add(s.key, s.count);
  // The weight other summarised, counted once (its counters add up to less).
  total_ = before + other.total_;
}

uint64_t HeavyKeys::estimate(uint64_t key) const {
  if (slots_.empty()) return 0;
  for (size_t at = home(key); slots_[at].count; at = (at + 1) & kMask)
    if (slots_[at].key == key) return slots_[at].count;
  return 0;
}

std::vector<uint64_t> HeavyKeys::above(uint64_t divisor, uint64_t min_weight) const {
  std::vector<uint64_t> out;
  const uint64_t floor = divisor ? total_ / divisor : 0;
  for (const Slot& s : slots_)
    if (s.count && s.count > floor && s.count >= min_weight) out.push_back(s.key);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gw502
