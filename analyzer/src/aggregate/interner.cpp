#include "aggregate/interner.hpp"

#include <cstring>
#include <utility>

#include "base/hash.hpp"

namespace gw502 {

uint64_t Interner::hash(std::string_view s) { return mix64(hash_str(0x243F6A8885A308D3ull, s)); }

uint32_t Interner::find(std::string_view s, uint64_t h) const {
  if (slots_.empty()) return kNone;
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint32_t v = slots_[i];
    if (v == 0) return kNone;
    if (hashes_[v - 1] == h && views_[v - 1] == s) return v - 1;
  }
}

uint32_t Interner::find(std::string_view s) const { return find(s, hash(s)); }

void Interner::place(uint32_t id) {
  const size_t mask = slots_.size() - 1;
  size_t i = hashes_[id] & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = id + 1;
}

std::string_view Interner::store(std::string_view s) {
  if (s.empty()) return std::string_view("", 0);  // never a null pointer (memcpy/memcmp of it)
  if (s.size() > kBlock / 4) {  // a long one: a block of its own, before the current one
    auto own = std::make_unique<char[]>(s.size());
    std::memcpy(own.get(), s.data(), s.size());
    std::string_view v(own.get(), s.size());
    blocks_.insert(blocks_.end() - (blocks_.empty() ? 0 : 1), std::move(own));
    return v;
  }
  if (used_ + s.size() > kBlock) {
    blocks_.push_back(std::make_unique<char[]>(kBlock));
    used_ = 0;
  }
  char* at = blocks_.back().get() + used_;
  std::memcpy(at, s.data(), s.size());
  used_ += s.size();
  return std::string_view(at, s.size());
}

uint32_t Interner::intern(std::string_view s) {
  const uint64_t h = hash(s);
  const uint32_t known = find(s, h);
  if (known != kNone) return known;
  const auto id = static_cast<uint32_t>(views_.size());
  views_.push_back(store(s));
  hashes_.push_back(h);
  if (views_.size() * 2 > slots_.size()) {  // grow: every id placed again
    slots_.assign(slots_.empty() ? 64 : slots_.size() * 2, 0);
    for (uint32_t k = 0; k < views_.size(); ++k) place(k);
  } else {
    place(id);
  }
  return id;
}

void Interner::clear() {
  views_.clear();
  hashes_.clear();
  slots_.clear();
  blocks_.clear();
  used_ = kBlock;
}

void Interner::swap(Interner& o) noexcept {
  views_.swap(o.views_);
  hashes_.swap(o.hashes_);
  slots_.swap(o.slots_);
  blocks_.swap(o.blocks_);
  std::swap(used_, o.used_);
}

}  // namespace gw502
