// Shared by the workers of one source's scan (the pipeline): for a group's
// key (its hash), the chunk by which some worker already holds every sample
// the group can keep, its first max_samples distinct lines by position, all
// in that chunk or before. A worker on a later chunk keeps no sample of that
// key: the merge, which keeps the first lines by position, would drop it
// whatever the other parts hold. So a group's lines are held about once,
// not once per worker (a stream's samples are texts). Lock-free and of a
// fixed size; a key that finds no free slot is simply never covered.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace gw502 {

class SampleFloor {
 public:
  explicit SampleFloor(size_t slots = size_t{1} << 14)  // 16 bytes each
      : slots_(new Slot[slots]), mask_(slots - 1) {}

  // Whether a line of this key in chunk `chunk` can no longer be a sample.
  bool covers(uint64_t key, uint32_t chunk) const {
    key = key ? key : 1;
    for (size_t i = 0, at = key & mask_; i < kProbes; ++i, at = (at + 1) & mask_) {
      const uint64_t k = slots_[at].key.load(std::memory_order_acquire);
      if (k == key) return slots_[at].chunk.load(std::memory_order_relaxed) < chunk;
      if (k == 0) return false;
    }
    return false;
  }

  // A worker holds every sample of this key's group by chunk `chunk`.
  void publish(uint64_t key, uint32_t chunk) {
    key = key ? key : 1;
    for (size_t i = 0, at = key & mask_; i < kProbes; ++i, at = (at + 1) & mask_) {
      Slot& s = slots_[at];
      uint64_t k = s.key.load(std::memory_order_acquire);
      if (k == 0 && s.key.compare_exchange_strong(k, key, std::memory_order_acq_rel)) k = key;
      if (k != key) continue;
      uint32_t have = s.chunk.load(std::memory_order_relaxed);
      while (chunk < have && !s.chunk.compare_exchange_weak(have, chunk, std::memory_order_relaxed)) {
      }
      return;
    }
  }

 private:
  static constexpr size_t kProbes = 8;
  struct Slot {
    std::atomic<uint64_t> key{0};
    std::atomic<uint32_t> chunk{UINT32_MAX};
  };
  std::unique_ptr<Slot[]> slots_;
  size_t mask_;
};

}  // namespace gw502
