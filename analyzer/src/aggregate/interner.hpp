// Interned strings (sites, hosts, upstreams): each distinct string gets an
// id, 0, 1, ... in the order first seen. The texts lie in 64 KiB blocks
// (views stay valid until clear()), found through an open-addressing table
// of ids by a 64-bit hash: no node, no std::string, no allocation per string
// but a block now and then. About 32 bytes per string besides its text.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace gw502 {

class Interner {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  uint32_t intern(std::string_view s);
  // The id of s, or kNone.
  uint32_t find(std::string_view s) const;
  std::string_view str(uint32_t id) const { return views_[id]; }
  size_t size() const { return views_.size(); }
  void clear();
  void swap(Interner& o) noexcept;

 private:
  static constexpr size_t kBlock = 64 * 1024;
  static uint64_t hash(std::string_view s);
  uint32_t find(std::string_view s, uint64_t h) const;
  void place(uint32_t id);
  std::string_view store(std::string_view s);

  std::vector<std::string_view> views_;  // by id, into blocks_
  std::vector<uint64_t> hashes_;         // by id
  std::vector<uint32_t> slots_;          // id + 1, 0 when empty; a power of two, at most half full
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_ = kBlock;  // bytes used in blocks_.back() (full: none yet)
};

}  // namespace gw502
