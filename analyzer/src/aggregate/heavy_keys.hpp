// A Misra-Gries summary of weighted keys (64-bit hashes), with the
// amortised shrink of Karp, Shenker and Papadimitriou: at most kCounters
// counters; when a new key finds them all taken, the median count is taken
// off every counter and the ones left at zero go, which frees half of them.
// Each estimate is at most the key's true weight and at least that less
// total() / (kCounters / 2); every key heavier than that holds a counter,
// whatever the order of the updates. An update is one probe of an
// open-addressing table (no heap, no allocation), so a flood of distinct keys
// costs little.
// The Aggregator feeds it the hits that the group cap folds into "(others)",
// so that the keys frequent among them can be found and made exact by a
// second pass (cli/second_pass). Nothing is allocated before the first add().
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gw502 {

class HeavyKeys {
 public:
  static constexpr size_t kCounters = 8192;

  void add(uint64_t key, uint64_t weight);
  // Adds other's counters as weighted updates (other's total counted once).
  // Merging parts that split one input at most doubles the error: an
  // estimate is at least the true weight less 4 * total() / kCounters.
  void merge(const HeavyKeys& other);
  uint64_t total() const { return total_; }
  uint64_t estimate(uint64_t key) const;  // 0 when it holds no counter
  bool empty() const { return used_ == 0; }
  // Keys whose estimate is above total() / divisor and at least min_weight,
  // sorted.
  std::vector<uint64_t> above(uint64_t divisor, uint64_t min_weight) const;
  size_t bytes() const { return slots_.capacity() * sizeof(Slot) + scratch_.capacity() * sizeof(uint64_t); }

 private:
  struct Slot {
    uint64_t key;
    uint64_t count;  // 0: empty
  };
  void shrink();
  void insert(uint64_t key, uint64_t count);

  std::vector<Slot> slots_;        // 2 * kCounters, linear probing
  std::vector<uint64_t> scratch_;  // shrink()'s counts
  size_t used_ = 0;
  uint64_t total_ = 0;
  uint64_t last_toll_ = 0;  // what the last shrink() took off each counter
};

}  // namespace gw502
