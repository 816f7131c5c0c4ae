#include "aggregate/aggregator.hpp"

#include <algorithm>
#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <numeric>
#include <tuple>

#include "base/hash.hpp"
#include "core/event.hpp"

namespace gw502 {
namespace {

// A hit's sample text, made on demand (Hit::make_text).
std::string_view sample_of(const Hit& h) { return h.make_text ? h.make_text->text() : h.text; }

// A hit's place in the input: source, then chunk (while relative), then line.
struct Pos {
  uint32_t source;
  uint32_t chunk;
  uint64_t line;
  bool operator<(const Pos& o) const {
    return std::tie(source, chunk, line) < std::tie(o.source, o.chunk, o.line);
  }
};

Pos pos_of(const Sample& s) { return Pos{s.source, s.chunk, s.line}; }
Pos first_of(const Group& g) { return Pos{g.first_source, g.first_chunk, g.first_line}; }


// The key's hash from its strings (ids differ from one Aggregator to another).
uint64_t key_hash(std::string_view site, std::string_view host, std::string_view upstream, int cause,
                  ProxyKind proxy, bool context) {
  uint64_t h = 0xCBF29CE484222325ull;
  h = hash_str(hash_str(hash_str(h, site), host), upstream);
  h ^= (uint64_t(uint32_t(cause)) << 9) | (uint64_t(proxy) << 1) | uint64_t(context);
  return mix64(h);
}

// What a consumed part frees sits in its worker thread's malloc arena,
// which the merging thread does not reuse: handed back to the system from
// time to time, it does not add to the peak. glibc: malloc_trim; jemalloc
// (when the program is linked with it: a weak reference, no dependency):
// purge every arena's unused pages, which it would otherwise keep for its
// decay time (10 s); elsewhere a no-op.
constexpr size_t kTrimEvery = 2048;
}  // namespace
}  // namespace gw502
extern "C" int mallctl(const char*, void*, size_t*, void*, size_t) __attribute__((weak));
namespace gw502 {
namespace {
void give_back_freed() {
  if (&mallctl != nullptr) {
    ::mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: MALLCTL_ARENAS_ALL
    return;
  }
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

unsigned level_of(uint64_t hash) { return hash ? static_cast<unsigned>(__builtin_ctzll(hash)) : 64; }

int64_t floor_to(int64_t m, int64_t unit) { return m >= 0 ? m - m % unit : -((-m + unit - 1) / unit) * unit; }

// Minutes older than the group's last kMaxMinutes become the start of their
// 10-minute block (kBurstGapMinutes: bursts still count right), older than
// kHourMinutes their hour, older than kDayMinutes their day. Whether a value
// is coarsened depends only on its block and the newest minute, and the
// blocks nest, so coarsening parts and then their union gives the union
// coarsened (merges stay order-independent).
void coarsen(MinuteSet& set) {
  if (set.empty()) return;
  const int64_t newest = set.back();
  const int64_t ten_limit = newest - static_cast<int64_t>(Aggregator::kMaxMinutes);
  const int64_t hour_limit = newest - Aggregator::kHourMinutes;
  const int64_t day_limit = newest - Aggregator::kDayMinutes;
  auto coarse = [&](int64_t m) {
    const int64_t t = floor_to(m, 10), h = floor_to(m, 60), d = floor_to(m, 1440);
    return d + 1439 <= day_limit ? d : h + 59 <= hour_limit ? h : t;
  };
  // Most adds change nothing: look before rebuilding.
  bool change = false;
  for (const Group::Minute m : set) {
    if (floor_to(m, 10) + 9 > ten_limit) break;  // this block and every later value stay
    if (coarse(m) != m) {
      change = true;
      break;
    }
  }
  if (!change) return;
  std::vector<Group::Minute> v = set.to_vector();
  for (Group::Minute& m : v) {
    if (floor_to(m, 10) + 9 > ten_limit) break;
    m = static_cast<Group::Minute>(coarse(m));  // >= m - 1439: in range (kMinMinute)
  }
  v.erase(std::unique(v.begin(), v.end()), v.end());
  set.assign(v);
}

void add_minute(Group& g, int64_t at) {
  const auto minute = static_cast<Group::Minute>(std::clamp(at, Group::kMinMinute, Group::kMaxMinute));
  if (!g.minutes.insert(minute)) return;
  if (!g.coarse_minutes && g.minutes.size() > Aggregator::kMaxMinutes) g.coarse_minutes = true;
  if (g.coarse_minutes) coarsen(g.minutes);
}

// Adds the distinct minutes `more` to the group's. In chunk order `more`
// starts after them: an append.
void merge_minutes(Group& g, const MinuteSet& more, bool more_coarse) {
  g.minutes.merge(more);
  g.coarse_minutes = g.coarse_minutes || more_coarse || g.minutes.size() > Aggregator::kMaxMinutes;
  if (g.coarse_minutes) coarsen(g.minutes);
}

void add_rule(Group& g, int rule, uint64_t n) {
  auto r = std::lower_bound(g.rules.begin(), g.rules.end(), rule,
                            [](const std::pair<int, uint64_t>& p, int x) { return p.first < x; });
  if (r != g.rules.end() && r->first == rule)
    r->second += n;
  else
    g.rules.emplace(r, rule, n);
}

uint64_t text_hash(std::string_view text) { return hash_str(0x5A3B1E, text); }

// Keeps the first max_samples distinct texts by position: the same samples
// whatever order the lines arrive in. Texts are told apart by (hash,
// length). `make` gives the sample to keep, at position p.
template <class Make>
void place_sample(Group& g, const Pos& p, uint64_t hash, uint32_t len, Make&& make) {
  const size_t max = std::max<size_t>(g.max_samples, 1);
  std::vector<Sample>& v = g.samples;
  auto later = [](const Pos& a, const Sample& b) { return a < pos_of(b); };
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].hash != hash || v[i].len != len) continue;
    if (!(p < pos_of(v[i]))) return;  // the same text, kept from an earlier line
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  }
  v.insert(std::upper_bound(v.begin(), v.end(), p, later), make());
  if (v.size() > max) v.pop_back();
}

bool later_than_kept(const Group& g, const Pos& p) {
  return g.samples.size() >= std::max<size_t>(g.max_samples, 1) && !(p < pos_of(g.samples.back()));
}

// A line offered as a sample: kept by reference when it lies in `file`
// (the chunk's bytes, from byte `file_offset` of its file), else its text.
void add_sample(Group& g, const Pos& p, std::string_view text, std::string_view file, uint64_t file_offset) {
  if (later_than_kept(g, p)) return;
  text = text.substr(0, Aggregator::kMaxSampleBytes);
  const uint64_t hash = text_hash(text);
  const auto len = static_cast<uint32_t>(text.size());
  const bool in_file = !file.empty() && text.data() >= file.data() && text.data() + len <= file.data() + file.size();
  place_sample(g, p, hash, len, [&] {
    Sample s;
    s.source = p.source, s.chunk = p.chunk, s.line = p.line, s.hash = hash, s.len = len;
    if (in_file)
      s.offset = file_offset + static_cast<uint64_t>(text.data() - file.data());
    else
      s.text.assign(text);
    return s;
  });
}

// Another group's sample, at position p (made absolute). Moved from when
// `consume`: a merge that consumes its parts copies no text.
void add_sample(Group& g, const Pos& p, Sample& from, bool consume) {
  if (later_than_kept(g, p)) return;
  place_sample(g, p, from.hash, from.len, [&] {
    Sample s = consume ? std::move(from) : from;
    s.source = p.source, s.chunk = p.chunk, s.line = p.line;
    return s;
  });
}

}  // namespace

std::string Aggregator::sample_text(const Sample& s) const {
  if (!s.by_reference()) return s.text;
  std::string text;
  if (!reader_ || !reader_(s.source, s.offset, s.len, text))
    return "(line " + std::to_string(s.line) + " could not be read back from its file)";
  if (text.size() != s.len || text_hash(text) != s.hash)
    return "(line " + std::to_string(s.line) + " changed in its file after it was read)";
  return text;
}

uint32_t Aggregator::request_time(int64_t t) {
  if (t == kNoTime) return kNoRequestTime;
  return static_cast<uint32_t>(std::clamp<int64_t>(t, 0, int64_t{kNoRequestTime} - 1));
}

int64_t Aggregator::request_time(uint32_t t) { return t == kNoRequestTime ? kNoTime : int64_t{t}; }

uint32_t Aggregator::intern(std::string_view s) { return strings_.intern(s); }

// A file's lines name one site (NPM's proxy host, or none): its id without a
// lookup while it repeats (a flood of new keys asks for it on every one).
uint32_t Aggregator::site_id(std::string_view site) {
  if (last_site_id_ == kNoId || site != last_site_) {
    last_site_id_ = intern(site);
    last_site_.assign(site);
  }
  return last_site_id_;
}

// Groups grow by a quarter, not by doubling: with thousands of groups the
// unused capacity was up to half of the vector (232 bytes a group).
// The first growth reserves room for the cap and its "(others)" at once:
// address space, not memory, until groups fill it, and no copy of every
// group beside the old vector on the way (hostflood -j2: 5.8 MiB of the
// heap's peak had been the workers' growing group vectors).
void Aggregator::grow_groups() {
  if (groups_.size() < groups_.capacity()) return;
  groups_.reserve(groups_.size() < kGroupRoom ? kGroupRoom : groups_.size() + groups_.size() / 4);
}

uint32_t Aggregator::group_for(const Key& k, uint64_t hash) {
  if (index_.empty()) index_.reserve(kGroupRoom);  // before any iterator is taken
  auto [it, fresh] = index_.try_emplace(k, static_cast<uint32_t>(groups_.size()));
  if (fresh) {
    grow_groups();
    groups_.emplace_back();
    Group& g = groups_.back();
    g.proxy = k.proxy;
    g.site = k.site;
    g.host = k.host;
    g.upstream = k.upstream;
    g.cause = k.cause;
    g.context = k.context;
    g.key_hash = hash;
    ++tracked_;
  }
  return it->second;
}

uint32_t Aggregator::others_for(uint32_t site, int cause, ProxyKind proxy, bool context) {
  if (other_id_ == kNoId) other_id_ = intern(kOther);
  const uint32_t other = other_id_;
  const Key k{site, other, other, cause, proxy, context};
  if (index_.empty()) index_.reserve(kGroupRoom);  // before any iterator is taken
  auto [it, fresh] = index_.try_emplace(k, static_cast<uint32_t>(groups_.size()));
  if (fresh) {
    grow_groups();
    groups_.emplace_back();
    Group& g = groups_.back();
    g.proxy = proxy;
    g.site = site;
    g.host = other;
    g.upstream = other;
    g.cause = cause;
    g.context = context;
    g.folded = true;
  }
  return it->second;
}

namespace {

// A key's strings as fast_keys_ keeps them: each after its 32-bit length.
void put_key_part(std::vector<char>& out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  const size_t at = out.size();
  out.resize(at + 4 + n);
  std::memcpy(out.data() + at, &n, 4);
  std::memcpy(out.data() + at + 4, s.data(), n);
}

// Compares one part and moves past it; false on a difference.
bool same_key_part(const char*& p, std::string_view s) {
  uint32_t n;
  std::memcpy(&n, p, 4);
  if (n != s.size() || std::memcmp(p + 4, s.data(), n) != 0) return false;
  p += 4 + n;
  return true;
}

}  // namespace

uint32_t Aggregator::fast_find(uint64_t hash, std::string_view site, std::string_view host,
                               std::string_view upstream, int cause, ProxyKind proxy, bool context) const {
  if (fast_.empty()) return kNoId;
  const size_t mask = fast_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const FastSlot& slot = fast_[i];
    if (slot.group == kNoId) return kNoId;
    if (slot.hash != hash || slot.cause != cause || slot.proxy != static_cast<uint8_t>(proxy) ||
        slot.context != static_cast<uint8_t>(context))
      continue;
    const char* p = fast_keys_.data() + slot.key_at;
    if (same_key_part(p, host) && same_key_part(p, upstream) && same_key_part(p, site)) return slot.group;
  }
}

void Aggregator::fast_place(const FastSlot& slot) {
  const size_t mask = fast_.size() - 1;
  size_t i = slot.hash & mask;
  while (fast_[i].group != kNoId) i = (i + 1) & mask;
  fast_[i] = slot;
  ++fast_used_;
}

void Aggregator::fast_insert(uint64_t hash, uint32_t group, std::string_view site, std::string_view host,
                             std::string_view upstream, int cause, ProxyKind proxy, bool context) {
  // At most half full: probes stay short.
  if ((fast_used_ + 1) * 2 > fast_.size()) {
    std::vector<FastSlot> old(std::max<size_t>(fast_.size() * 2, 64), FastSlot{0, kNoId, 0, 0, 0, 0});
    old.swap(fast_);
    fast_used_ = 0;
    for (const FastSlot& s : old)
      if (s.group != kNoId) fast_place(s);
  }
  const auto at = static_cast<uint32_t>(fast_keys_.size());
  put_key_part(fast_keys_, host);
  put_key_part(fast_keys_, upstream);
  put_key_part(fast_keys_, site);
  fast_place(FastSlot{hash, group, at, cause, static_cast<uint8_t>(proxy), static_cast<uint8_t>(context)});
}

uint32_t Aggregator::group_index(std::string_view site, std::string_view host, std::string_view upstream,
                                 int cause, ProxyKind proxy, bool context) {
  // A known key: one hash of its strings and one probe, nothing new.
  const uint64_t hash = key_hash(site, host, upstream, cause, proxy, context);
  const uint32_t known = fast_find(hash, site, host, upstream, cause, proxy, context);
  if (known != kNoId) return known;
  const unsigned lv = level_of(hash);
  bool keep = stays(hash, level_);
  if (keep && !merging_ && !pin_ && tracked_ >= kMaxGroups) {
    enforce_cap(static_cast<int>(lv));
    keep = stays(hash, level_);
  }
  if (!keep) {
    if (!merging_) heavy_.add(hash, 1);  // merge_from() weighs a part's group itself
    return others_for(site_id(site), cause, proxy, context);
  }
  // intern() after enforce_cap(): it may have renumbered the strings.
  const uint32_t gi = group_for(Key{site_id(site), intern(host), intern(upstream), cause, proxy, context}, hash);
  fast_insert(hash, gi, site, host, upstream, cause, proxy, context);
  return gi;
}

// What two groups' counts add up to, samples aside (callers place those).
void Aggregator::add_counts(Group& to, const Group& from) {
  to.count += from.count;
  to.served_502 += from.served_502;
  to.served_504 += from.served_504;
  to.served_other += from.served_other;
  to.tries += from.tries;
  to.cut += from.cut;
  to.first = std::min(to.first, from.first);
  to.last = std::max(to.last, from.last);
  to.utc = to.utc || from.utc;
  for (auto& [rule, n] : from.rules) add_rule(to, rule, n);
  merge_minutes(to, from.minutes, from.coarse_minutes);
  to.max_samples = std::max(to.max_samples, from.max_samples);
}

void Aggregator::fold_into(Group& to, Group&& from) {
  add_counts(to, from);
  for (Sample& s : from.samples) add_sample(to, pos_of(s), s, true);
  if (first_of(from) < first_of(to)) {
    to.first_source = from.first_source;
    to.first_chunk = from.first_chunk;
    to.first_line = from.first_line;
  }
}

void Aggregator::enforce_cap(int incoming_level) {
  auto over = [&](unsigned level) {
    size_t n = 0;
    for (const Group& g : groups_)
      if (!g.folded && level_of(g.key_hash) >= level) ++n;
    if (incoming_level >= static_cast<int>(level)) ++n;
    return n > kMaxGroups;
  };
  if (pin_) return;  // a second pass: the first pass's level holds
  unsigned level = level_;
  while (over(level)) ++level;
  bool below = false;
  for (const Group& g : groups_) below = below || (!g.folded && level_of(g.key_hash) < level);
  level_ = level;
  if (below) refold();
}

bool Aggregator::stays(uint64_t hash, unsigned level) const {
  return level_of(hash) >= level || (pin_ && std::binary_search(pin_->keys.begin(), pin_->keys.end(), hash));
}

void Aggregator::refold() {
  // Fold the groups that no longer stay into their "(others)" group, keep
  // the rest in order, and keep only the strings still named.
  std::vector<Group> old;
  old.swap(groups_);
  Interner old_strings;
  old_strings.swap(strings_);
  index_.clear();
  // The lookup table keeps its size: it fills up again as keys come back.
  std::fill(fast_.begin(), fast_.end(), FastSlot{0, kNoId, 0, 0, 0, 0});
  fast_keys_.clear();
  last_site_id_ = kNoId;
  fast_used_ = 0;
  other_id_ = kNoId;
  tracked_ = 0;
  // Room for the groups that stay and the "(others)" at once (grow_groups()):
  // no chain of growing copies beside the old vector.
  size_t stay = 0;
  for (const Group& g : old) stay += g.folded || stays(g.key_hash, level_);
  groups_.reserve(std::max(stay + 64, kGroupRoom));
  index_.reserve(kGroupRoom);
  std::vector<uint32_t> remap(old.size());
  for (size_t i = 0; i < old.size(); ++i) {
    Group& g = old[i];
    const uint32_t site = intern(old_strings.str(g.site));
    if (g.folded || stays(g.key_hash, level_)) {
      const uint32_t host = intern(old_strings.str(g.host)), up = intern(old_strings.str(g.upstream));
      const Key k{site, host, up, g.cause, g.proxy, g.context};
      auto [it, fresh] = index_.try_emplace(k, static_cast<uint32_t>(groups_.size()));
      if (fresh) {
        g.site = site;
        g.host = host;
        g.upstream = up;
        if (!g.folded) ++tracked_;
        grow_groups();
        groups_.push_back(std::move(g));
      } else {  // an "(others)" group made earlier in this pass
        fold_into(groups_[it->second], std::move(g));
      }
      remap[i] = it->second;
    } else {
      heavy_.add(g.key_hash, weight(g));
      const uint32_t o = others_for(site, g.cause, g.proxy, g.context);
      fold_into(groups_[o], std::move(g));
      remap[i] = o;
    }
  }
  for (RequestEntry& r : requests_) r.group = remap[r.group];
  for (Pending& p : pending_) {  // waiting entries name strings too
    p.site = intern(old_strings.str(p.site));
    p.host = intern(old_strings.str(p.host));
    p.upstream = intern(old_strings.str(p.upstream));
  }
  // The old groups and strings go: their pages back to the system now, not
  // after the allocator's decay time (hostflood: a cap every few chunks).
  std::vector<Group>().swap(old);
  old_strings.clear();
  give_back_freed();
}

unsigned Aggregator::request_level(uint64_t request) { return level_of(mix64(request)); }

uint32_t Aggregator::store_text(std::string_view text) {
  if (text.empty()) return 0;
  if (text_blocks_.empty() || text_used_ + text.size() > kTextBlock) {
    text_blocks_.emplace_back(new char[kTextBlock]);
    text_used_ = 0;
  }
  const size_t at = (text_blocks_.size() - 1) * kTextBlock + text_used_;
  std::copy(text.begin(), text.end(), text_blocks_.back().get() + text_used_);
  text_used_ += text.size();
  return static_cast<uint32_t>(at);
}

bool Aggregator::text_needed(const Pending& p) const {
  if (!p.has_text) return false;
  // A served status may move the entry to another group (retried_served).
  if (p.status > 0 && p.status < 500 && p.status != 499) return true;
  // Unpaired, it joins its own key's group (paired, it adds no sample): when
  // that group already holds its samples, all earlier, the text can go; the
  // group only ever takes earlier samples, whatever comes next or merges in.
  const std::string_view host = strings_.str(p.host), up = strings_.str(p.upstream);
  const uint32_t hi = strings_.find(host.empty() ? std::string_view("-") : host);
  const uint32_t ui = strings_.find(up.empty() ? std::string_view("-") : up);
  if (hi == Interner::kNone || ui == Interner::kNone) return true;
  auto it = index_.find(Key{p.site, hi, ui, p.cause, static_cast<ProxyKind>(p.proxy), bool(p.context)});
  if (it == index_.end()) return true;
  const Group& g = groups_[it->second];
  const size_t max = std::max<size_t>(g.max_samples, 1);
  return !(g.samples.size() >= max && pos_of(g.samples.back()) < Pos{p.source, p.chunk, p.line});
}

void Aggregator::compact_texts(size_t keep) {
  std::vector<std::unique_ptr<char[]>> old;
  old.swap(text_blocks_);
  text_used_ = 0;
  for (size_t i = 0; i < keep; ++i) {
    Pending& p = pending_[i];
    if (p.has_text && text_needed(p)) {
      const std::string_view t{old[p.text_at / kTextBlock].get() + p.text_at % kTextBlock, p.text_len};
      p.text_at = store_text(t);
    } else {
      p.has_text = 0;
      p.text_len = 0;
      p.text_at = 0;
    }
  }
}

void Aggregator::add_pending_now(size_t i) {
  const Pending& p = pending_[i];
  // Copies: add_now() may renumber (and free) the strings.
  buf_site_.assign(strings_.str(p.site));
  buf_host_.assign(strings_.str(p.host));
  buf_up_.assign(strings_.str(p.upstream));
  Hit h{static_cast<ProxyKind>(p.proxy), buf_site_, buf_host_, buf_up_, p.cause, p.rule, p.time, bool(p.utc),
        p.source, p.line, p.has_text ? text_of(p) : std::string_view()};
  h.request = p.request;
  h.access = true;
  h.status = p.status;
  h.context = p.context;
  add_now(h, p.max_samples, p.chunk, p.has_text);
}

void Aggregator::raise_pending_level(unsigned min_level) {
  size_t hist[65] = {};
  for (const Pending& p : pending_) ++hist[request_level(p.request)];
  unsigned level = std::max(pend_level_, min_level);
  size_t above = 0;
  for (unsigned l = level; l < 65; ++l) above += hist[l];
  while (above > kMaxPending && level < 64) above -= hist[level++];
  if (level == pend_level_) return;
  pend_level_ = level;
  // The entries below the level go, counted unpaired (pair-only: dropped).
  const auto mid = std::partition(pending_.begin(), pending_.end(),
                                  [level](const Pending& p) { return request_level(p.request) >= level; });
  const auto keep = static_cast<size_t>(mid - pending_.begin());
  std::sort(mid, pending_.end(), [](const Pending& a, const Pending& b) {  // groups made in position order
    return Pos{a.source, a.chunk, a.line} < Pos{b.source, b.chunk, b.line};
  });
  for (size_t i = keep; i < pending_.size(); ++i)
    if (!pending_[i].pair_only) add_pending_now(i);
  compact_texts(keep);  // the groups just got samples: texts go
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(keep), pending_.end());
  if (pending_.empty()) std::deque<Pending>().swap(pending_);
}

void Aggregator::add(const Hit& h, size_t max_samples) {
  if (h.access && h.request) ++access_requests_;  // here: the merge adds waiting entries again
  add_hit(h, max_samples, true);
}

void Aggregator::add_hit(const Hit& h, size_t max_samples, bool has_text) {
  if (h.access && h.request) {
    if (request_level(h.request) >= pend_level_) {
      // Keep it until the groups are read: its error entry may come later.
      Pending p;
      p.request = h.request;
      p.time = h.time;
      p.line = h.line;
      p.source = h.source;
      p.chunk = chunk_;
      p.site = intern(h.site);
      p.host = intern(h.host);
      p.upstream = intern(h.upstream);
      p.text_at = 0;
      p.cause = h.cause;
      p.rule = h.rule;
      p.text_len = 0;
      p.status = static_cast<int16_t>(std::clamp(h.status, -1, 32767));
      p.max_samples = static_cast<uint8_t>(std::min<size_t>(max_samples, 255));
      p.proxy = static_cast<uint8_t>(h.proxy);
      p.utc = h.utc;
      p.pair_only = h.pair_only;
      p.failed_tries = h.failed_tries;
      p.context = h.context;
      p.has_text = has_text;
      if (has_text && text_needed(p)) {
        const std::string_view text = sample_of(h).substr(0, kMaxSampleBytes);
        p.text_len = static_cast<uint16_t>(text.size());
        p.text_at = store_text(text);
      } else {
        p.has_text = 0;
      }
      pending_.push_back(p);
      if (pending_.size() > kMaxPending) raise_pending_level(pend_level_);
      return;
    }
    if (h.pair_only) return;  // below the level: it would wait, it cannot
  } else if (h.pair_only) {
    return;
  }
  uint32_t gi = add_now(h, max_samples, chunk_, has_text);
  if (h.cut) {  // evidence of its group, not a failure a client saw as 502/504
    Group& g = groups_[gi];
    --g.count;
    if (!g.context) --total_;
    ++g.cut;
    return;
  }
  if (!h.access && h.request && !h.context && pairing_ && record_requests_ && requests_.size() < kMaxRequests) {
    if (request_chunks_.empty() || request_chunks_.back().first != chunk_)
      request_chunks_.emplace_back(chunk_, static_cast<uint32_t>(requests_.size()));
    requests_.push_back(RequestEntry{short_key(h.request), request_time(h.time), gi, 0, h.conn});
  }
}

std::vector<uint32_t> Aggregator::unpaired_requests() const {
  resolve();
  std::vector<uint32_t> keys;
  for (const RequestEntry& r : requests_)
    if (!r.used && !groups_[r.group].context && groups_[r.group].count) keys.push_back(r.key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void Aggregator::pair_pending() {
  // In position order. The entries stay in pending_ while they pair:
  // add_now() may renumber the strings they name (enforce_cap()).
  std::vector<uint32_t> order(pending_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
    const Pending &x = pending_[a], &y = pending_[b];
    return Pos{x.source, x.chunk, x.line} < Pos{y.source, y.chunk, y.line};
  });
  // The index by key, in position order within a key; entries added since
  // the last pairing are sorted and merged in.
  auto by_key = [this](uint32_t a, uint32_t b) {
    return requests_[a].key != requests_[b].key ? requests_[a].key < requests_[b].key : a < b;
  };
  if (by_key_.size() < requests_.size()) {
    const auto old = static_cast<std::ptrdiff_t>(by_key_.size());
    by_key_.resize(requests_.size());
    std::iota(by_key_.begin() + old, by_key_.end(), static_cast<uint32_t>(old));
    std::sort(by_key_.begin() + old, by_key_.end(), by_key);
    std::inplace_merge(by_key_.begin(), by_key_.begin() + old, by_key_.end(), by_key);
  }
  // Paired entries whose request's other tries can be told: by its
  // connection, or by the access line's upstream status list.
  struct Tried {
    uint32_t entry;
    int64_t time;  // the access line's
    int listed;    // the other failed tries the access line lists; -1: not listed
  };
  std::vector<Tried> tried;
  for (const uint32_t pi : order) {
    const Pending& p = pending_[pi];
    const uint32_t key = short_key(p.request);
    // From the key's first entry not known to be used: a probe that fails on
    // one path all day pairs in linear time, not quadratic.
    auto hint = unused_from_.find(key);
    const uint32_t from = hint == unused_from_.end() ? 0 : hint->second;
    auto b = std::lower_bound(by_key_.begin(), by_key_.end(), from, [this, key](uint32_t i, uint32_t f) {
      return requests_[i].key != key ? requests_[i].key < key : i < f;
    });
    RequestEntry* match = nullptr;
    uint32_t match_index = 0;
    for (auto it = b; it != by_key_.end() && requests_[*it].key == key; ++it) {
      RequestEntry& r = requests_[*it];
      if (r.used) continue;
      const int64_t rt = request_time(r.time);
      if (p.time == kNoTime || rt == kNoTime ||
          (p.time - rt <= kPairSeconds && rt - p.time <= kPairSeconds)) {
        match = &r;
        match_index = *it;
        break;
      }
    }
    // nginx's tries of one request share its connection (HTTP/1): the access
    // line is the outcome of the last of them, which names the upstream that
    // failed last (the earlier tries are swept into `tries` below).
    if (match && match->conn) {
      auto it = std::find(b, by_key_.end(), match_index);
      for (++it; it != by_key_.end() && requests_[*it].key == key; ++it) {
        RequestEntry& r = requests_[*it];
        if (r.used || r.conn != match->conn) continue;
        const int64_t rt = request_time(r.time);
        if (p.time == kNoTime || rt == kNoTime || rt - p.time > kPairSeconds) break;
        match = &r;
        match_index = *it;
      }
    }
    if (match) match->used = 1;
    auto c = b;
    while (c != by_key_.end() && requests_[*c].key == key && requests_[*c].used) ++c;
    unused_from_[key] = c != by_key_.end() && requests_[*c].key == key
                                  ? *c
                                  : (c == b ? from : *(c - 1) + 1);
    if (!match) {
      if (!p.pair_only) add_pending_now(pi);
      continue;
    }
    if ((match->conn || p.failed_tries) && p.time != kNoTime)
      tried.push_back({match_index, p.time, p.failed_tries ? p.failed_tries - 1 : -1});
    Group& g = groups_[match->group];
    ++paired_;
    if (p.status == 502) {
      ++g.served_502;
    } else if (p.status == 504) {
      ++g.served_504;
    } else if (p.status > 0 && p.status < 500 && p.status != 499 && p.cause != g.cause) {
      // The request was served after all (nginx retried another server of
      // the pool): the error entry was no failure a client saw. It moves to
      // the access entry's own group (its cause says so: retried_served).
      if (g.count) {
        --g.count;
        if (!g.context) --total_;
      }
      ++g.served_other;
      // A combined access line names neither host nor upstream: the error
      // entry does (copies: the new group may move the strings). A second
      // pass's pinned key that the hash would fold (pin()) names "(others)"
      // here, as its group did in the first pass, so that what it moves goes
      // where it went then, whichever keys the partition made candidates.
      const bool pinned_only = !g.folded && level_of(g.key_hash) < level_;
      if (pinned_only) moved_from_pinned_[g.key_hash] += 1;
      const std::string_view g_host = pinned_only ? kOther : str(g.host);
      const std::string_view g_up = pinned_only ? kOther : str(g.upstream);
      buf_site_.assign(strings_.str(p.site));
      buf_host_.assign(strings_.str(p.host).empty() ? g_host : strings_.str(p.host));
      buf_up_.assign(strings_.str(p.upstream).empty() ? g_up : strings_.str(p.upstream));
      Hit moved{static_cast<ProxyKind>(p.proxy), buf_site_, buf_host_, buf_up_, p.cause, p.rule, p.time,
                bool(p.utc), p.source, p.line, p.has_text ? text_of(p) : std::string_view()};
      moved.request = p.request;
      moved.access = true;
      moved.status = p.status;
      moved.context = p.context;
      add_now(moved, p.max_samples, p.chunk, p.has_text);
    } else {
      ++g.served_other;
    }
  }
  std::deque<Pending>().swap(pending_);
  text_blocks_.clear();
  text_used_ = 0;
  for (const Tried& t : tried) sweep_tries(t.entry, t.time, t.listed);
}

// nginx logs one error line per server of the pool it tries for a request,
// and one access line. Once every access line of a pairing pass has taken
// its closest entry, the entries left on the same connection (HTTP/1: one
// request at a time) for the same request, from up to kTryWindow seconds
// before the access line, are that request's earlier tries: they leave
// their groups' counts for `tries`. When the access line lists the upstream
// statuses (NPM, $upstream_status), it says how many other tries failed:
// that many more entries of the request go, whatever their connection
// (HTTP/2 multiplexes requests on one, so its entries have none).
void Aggregator::sweep_tries(uint32_t paired, int64_t access_time, int listed) {
  const RequestEntry& p = requests_[paired];
  // by_key_ is ordered by (key, position): the neighbours of the paired
  // entry, a few on each side, are its request's other tries if any (a
  // bounded look: a probe hitting one path on one connection all day stays
  // linear).
  auto at = std::lower_bound(by_key_.begin(), by_key_.end(), paired, [this](uint32_t a, uint32_t b) {
    return requests_[a].key != requests_[b].key ? requests_[a].key < requests_[b].key : a < b;
  });
  auto take = [&](RequestEntry& r) {
    const int64_t rt = request_time(r.time);
    if (r.key != p.key || rt == kNoTime || rt > access_time + kPairSeconds || access_time - rt > kTryWindow)
      return false;
    const bool same_conn = p.conn && r.conn == p.conn;
    if (!r.used && (same_conn || listed > 0)) {
      if (!same_conn) --listed;
      r.used = 1;
      Group& g = groups_[r.group];
      if (g.count) {
        --g.count;
        if (!g.context) --total_;
      }
      ++g.tries;
    }
    return true;
  };
  auto it = at;
  for (int n = 0; n < kTryLook && it != by_key_.begin(); ++n)
    if (!take(requests_[*--it])) break;
  it = at;
  for (int n = 0; n < kTryLook && ++it != by_key_.end(); ++n)
    if (!take(requests_[*it])) break;
}

uint32_t Aggregator::add_now(const Hit& h, size_t max_samples, uint32_t chunk, bool sample) {
  const uint32_t gi = group_index(h.site, h.host.empty() ? std::string_view("-") : h.host,
                                  h.upstream.empty() ? std::string_view("-") : h.upstream, h.cause, h.proxy,
                                  h.context);
  Group& g = groups_[gi];
  if (!g.max_samples) g.max_samples = static_cast<uint8_t>(std::min<size_t>(max_samples, 255));
  ++g.count;
  if (!g.context) ++total_;
  const Pos p{h.source, chunk, h.line};
  if (p < first_of(g)) {
    g.first_source = p.source;
    g.first_chunk = p.chunk;
    g.first_line = p.line;
  }
  if (h.time != kNoTime) {
    if (h.time < g.first) g.first = h.time;
    if (h.time > g.last) g.last = h.time;
    g.utc = g.utc || h.utc;
    add_minute(g, h.time >= 0 ? h.time / 60 : -((-h.time + 59) / 60));
  }
  add_rule(g, h.rule, 1);
  if (sample && !later_than_kept(g, p)) {
    // A tracked key's samples another worker holds, all earlier (SampleFloor).
    const bool shared = floor_ && !g.folded;
    if (shared && floor_->covers(g.key_hash, chunk)) return gi;
    add_sample(g, p, sample_of(h), chunk_bytes_, chunk_offset_);
    if (shared && g.samples.size() >= std::max<size_t>(g.max_samples, 1))
      floor_->publish(g.key_hash, g.samples.back().chunk);
  }
  return gi;
}

uint64_t Aggregator::folded_count() const {
  resolve();
  uint64_t n = 0;
  for (const Group& g : groups_)
    if (g.folded) n += g.count;
  return n;
}

void Aggregator::merge_from(const std::vector<Part>& parts) {
  auto convert = [](const Part& p, uint32_t source, uint32_t chunk, uint64_t line) {
    if (p.chunk_base) return Pos{source + p.source_offset, 0, (*p.chunk_base)[chunk] + line};
    return Pos{source + p.source_offset, chunk, line + p.line_offset};
  };
  // Every key below any part's fold level is folded here too.
  for (const Part& p : parts) level_ = std::max(level_, p.agg->level_);
  for (const Part& p : parts) heavy_.merge(p.agg->heavy_);
  // And below the level the cap would end at once everything is in: a key
  // below it goes to its "(others)" group at once, instead of becoming a
  // group that the cap folds at the end (with two workers' 8,192 keys each,
  // half of them). The same level: the distinct keys of this one and the
  // parts, counted as enforce_cap() counts them.
  {
    std::vector<uint64_t> keys;
    auto collect = [&](const Aggregator& a) {
      for (const Group& g : a.groups_)
        if (!g.folded && level_of(g.key_hash) >= level_) keys.push_back(g.key_hash);
    };
    collect(*this);
    for (const Part& p : parts) collect(*p.agg);
    if (keys.size() > kMaxGroups && !pin_) {
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      auto above = [&](unsigned level) {
        return static_cast<size_t>(
            std::count_if(keys.begin(), keys.end(), [&](uint64_t h) { return level_of(h) >= level; }));
      };
      while (above(level_) > kMaxGroups) ++level_;
    }
    groups_.reserve(groups_.size() + std::min(keys.size(), kMaxGroups) + 64);
  }

  // Groups in the order of their first hit: the order one thread would have
  // made them in.
  struct Ref {
    Pos pos;
    uint32_t part, group;
  };
  // A worker takes its chunks in order, so its groups are nearly always in
  // order already: each part's run is sorted only if it is not, then the
  // runs are merged.
  const auto before = [](const Ref& a, const Ref& b) {
    if (a.pos < b.pos) return true;
    if (b.pos < a.pos) return false;
    return std::tie(a.part, a.group) < std::tie(b.part, b.group);
  };
  std::vector<Ref> refs;
  for (uint32_t pi = 0; pi < parts.size(); ++pi) {
    const Aggregator& o = *parts[pi].agg;
    const auto run = static_cast<std::ptrdiff_t>(refs.size());
    for (uint32_t gi = 0; gi < o.groups_.size(); ++gi) {
      const Group& g = o.groups_[gi];
      refs.push_back(Ref{convert(parts[pi], g.first_source, g.first_chunk, g.first_line), pi, gi});
    }
    if (!std::is_sorted(refs.begin() + run, refs.end(), before)) std::sort(refs.begin() + run, refs.end(), before);
    std::inplace_merge(refs.begin(), refs.begin() + run, refs.end(), before);
  }
  std::vector<std::vector<uint32_t>> remap(parts.size());
  for (uint32_t pi = 0; pi < parts.size(); ++pi) remap[pi].resize(parts[pi].agg->groups_.size());

  size_t released = 0;  // consumed groups
  merging_ = true;  // the cap applies once everything is in (indices stay put)
  for (const Ref& ref : refs) {
    const Part& part = parts[ref.part];
    const Aggregator& o = *part.agg;
    Group& og = const_cast<Group&>(o.groups_[ref.group]);  // written only when part.consume
    const uint32_t ti = og.folded ? others_for(intern(o.str(og.site)), og.cause, og.proxy, og.context)
                                  : group_index(o.str(og.site), o.str(og.host), o.str(og.upstream), og.cause,
                                                og.proxy, og.context);
    remap[ref.part][ref.group] = ti;
    Group& g = groups_[ti];
    if (g.folded && !og.folded) heavy_.add(og.key_hash, weight(og));  // folded here
    // A group with nothing in it yet (new to this one) takes a consumed
    // part's rules, minutes and samples as they are, positions made
    // absolute: merging into empty lists is a copy, and this moves instead
    // of copying and freeing (most groups of the first part).
    if (part.consume && g.rules.empty() && g.minutes.empty() && g.samples.empty()) {
      g.rules.swap(og.rules);
      g.minutes.swap(og.minutes);
      g.coarse_minutes = g.coarse_minutes || og.coarse_minutes;
      for (Sample& s : og.samples) {
        const Pos p = convert(part, s.source, s.chunk, s.line);
        s.source = p.source;
        s.chunk = p.chunk;
        s.line = p.line;
      }
      g.samples.swap(og.samples);
    }
    add_counts(g, og);
    if (!g.max_samples) g.max_samples = kSamples;
    for (Sample& s : og.samples)
      add_sample(g, convert(part, s.source, s.chunk, s.line), s, part.consume);
    const Pos f = ref.pos;
    if (f < first_of(g)) {
      g.first_source = f.source;
      g.first_chunk = f.chunk;
      g.first_line = f.line;
    }
    if (part.consume) {  // its memory goes as soon as it is in: the peak is not parts + whole
      std::vector<Sample>().swap(og.samples);
      og.minutes.release();
      std::vector<std::pair<int, uint64_t>>().swap(og.rules);
      if (++released % kTrimEvery == 0) give_back_freed();
    }
  }
  if (released) give_back_freed();
  merging_ = false;

  // Error entries with a request: after this one's, chunk by chunk in
  // position order (parts of one source), up to kMaxRequests.
  struct Segment {
    Pos pos;
    uint32_t part, begin, end;
  };
  std::vector<Segment> segments;
  for (uint32_t pi = 0; pi < parts.size(); ++pi) {
    const Aggregator& o = *parts[pi].agg;
    const auto& rc = o.request_chunks_;
    for (size_t i = 0; i < rc.size(); ++i) {
      const uint32_t end = i + 1 < rc.size() ? rc[i + 1].second : static_cast<uint32_t>(o.requests_.size());
      segments.push_back(Segment{convert(parts[pi], 0, rc[i].first, 0), pi, rc[i].second, end});
    }
  }
  std::stable_sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) {
    return std::tie(a.pos.chunk, a.pos.line) < std::tie(b.pos.chunk, b.pos.line);
  });
  if (!requests_.empty() && request_chunks_.empty()) request_chunks_.emplace_back(0, 0);
  // A consumed part's entries leave it segment by segment (a part's
  // segments come in its own order): popped[p] entries are gone from its front.
  std::vector<uint32_t> popped(parts.size(), 0);
  for (const Segment& s : segments) {
    const Part& part = parts[s.part];
    auto& from = const_cast<std::deque<RequestEntry>&>(part.agg->requests_);  // written only when consumed
    const uint32_t base = popped[s.part];
    const size_t room = kMaxRequests > requests_.size() ? kMaxRequests - requests_.size() : 0;
    const uint32_t end = s.begin + static_cast<uint32_t>(std::min<size_t>(s.end - s.begin, room));
    if (end > s.begin && (request_chunks_.empty() || request_chunks_.back().first != chunk_))
      request_chunks_.emplace_back(chunk_, static_cast<uint32_t>(requests_.size()));
    const std::vector<uint32_t>& to_group = remap[s.part];
    const auto first = from.begin() + (s.begin - base);
    for (auto it = first, stop = first + (end - s.begin); it != stop; ++it)
      requests_.push_back(RequestEntry{it->key, it->time, to_group[it->group] & 0x7FFFFFFFu, it->used, it->conn});
    if (part.consume && s.begin == base) {
      from.erase(from.begin(), from.begin() + (s.end - s.begin));
      popped[s.part] = s.end;
    }
  }
  for (const Part& p : parts) {
    total_ += p.agg->total_;
    paired_ += p.agg->paired_;
    access_requests_ += p.agg->access_requests_;
  }
  // Access entries still waiting, in position order. Every part's entries
  // below its level were counted unpaired: so are everyone's here.
  unsigned min_level = pend_level_;
  for (const Part& p : parts) min_level = std::max(min_level, p.agg->pend_level_);
  raise_pending_level(min_level);
  struct Waiting {
    Pos pos;
    const Aggregator* agg;
    const Pending* q;
  };
  std::vector<Waiting> waiting;
  const bool consumed = !parts.empty() && parts.front().consume;  // all parts or none
  for (const Part& p : parts)
    for (const Pending& q : p.agg->pending_) waiting.push_back(Waiting{convert(p, q.source, q.chunk, q.line), p.agg, &q});
  std::stable_sort(waiting.begin(), waiting.end(), [](const Waiting& a, const Waiting& b) { return a.pos < b.pos; });
  const uint32_t chunk = chunk_;
  for (const Waiting& w : waiting) {
    const Pending& q = *w.q;
    Hit h{static_cast<ProxyKind>(q.proxy), w.agg->str(q.site), w.agg->str(q.host), w.agg->str(q.upstream), q.cause,
          q.rule, q.time, bool(q.utc), w.pos.source, w.pos.line,
          q.has_text ? w.agg->text_of(q) : std::string_view()};
    h.request = q.request;
    h.access = true;
    h.status = q.status;
    h.context = q.context;
    h.pair_only = q.pair_only;
    h.failed_tries = q.failed_tries;
    chunk_ = w.pos.chunk;
    add_hit(h, q.max_samples, q.has_text);
  }
  if (consumed)
    for (const Part& p : parts) {  // their texts and records go now
      auto& o = const_cast<Aggregator&>(*p.agg);
      std::deque<Pending>().swap(o.pending_);
      o.text_blocks_.clear();
    }
  chunk_ = chunk;
  enforce_cap(-1);
}

std::vector<uint64_t> Aggregator::heavy_candidates() const {
  // A key heavier than 1/kHeavyShare of the output (count, tries, cut) was
  // routed at least that many hits, and the summary saw at most twice the
  // output's weight (an access entry and its error entry), so the key holds
  // more than total / (2 kHeavyShare) of it; the summary's estimates fall
  // short by at most 4 total / kCounters = total / (4 kHeavyShare).
  static_assert(HeavyKeys::kCounters >= 16 * kHeavyShare, "the summary's error below the margin");
  return heavy_.above(4 * kHeavyShare, kHeavyMin / 2);
}

void Aggregator::pin(std::shared_ptr<const Pin> p) {
  pin_ = std::move(p);
  if (pin_) level_ = pin_->level;
}

size_t Aggregator::fold_light_pinned() {
  resolve();
  if (!pin_) return 0;
  uint64_t all = 0;
  for (const Group& g : groups_) all += weight(g);
  const auto heavy = [all](uint64_t w) { return w >= kHeavyMin && w > all / kHeavyShare; };
  auto pin = std::make_shared<Pin>();
  pin->level = level_;
  heavy_kept_ = 0;
  heavy_served_folded_ = 0;
  for (const Group& g : groups_)
    if (!g.folded && level_of(g.key_hash) < level_ && heavy(weight(g))) {
      pin->keys.push_back(g.key_hash);
      ++heavy_kept_;
    }
  // A pinned key's requests retried and served went to "(others)"
  // (pair_pending()): a heavy share of them is a heavy key that is not
  // exact, whether or not the key itself stays heavy (all its requests may
  // have been served). Such a key was a candidate in any partition: its
  // error entries were counted under it first.
  for (const auto& [hash, moved] : moved_from_pinned_)
    if (heavy(moved)) ++heavy_served_folded_;
  std::sort(pin->keys.begin(), pin->keys.end());
  pin_ = std::move(pin);
  refold();
  return heavy_kept_;
}

void Aggregator::merge(const Aggregator& other, uint32_t source_offset, uint64_t line_offset) {
  merge_from({Part{&other, source_offset, line_offset, nullptr, false}});
}

void Aggregator::merge_parts(std::vector<Aggregator>& parts, const std::vector<uint64_t>& chunk_base) {
  std::vector<Part> list;
  for (const Aggregator& a : parts) list.push_back(Part{&a, 0, 0, &chunk_base, true});
  merge_from(list);
  for (Aggregator& a : parts) a = Aggregator();
}

}  // namespace gw502
