#include "aggregate/aggregator.hpp"

#include <algorithm>

#include "core/event.hpp"

namespace gw502 {

uint32_t Aggregator::intern(std::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  strings_.emplace_back(s);
  auto id = static_cast<uint32_t>(strings_.size() - 1);
  ids_.emplace(std::string_view(strings_.back()), id);
  return id;
}

Group& Aggregator::group_for(const Key& k) {
  auto [it, fresh] = index_.try_emplace(k, static_cast<uint32_t>(groups_.size()));
  if (fresh) {
    groups_.emplace_back();
    Group& g = groups_.back();
    g.proxy = k.proxy;
    g.site = k.site;
    g.host = k.host;
    g.upstream = k.upstream;
    g.cause = k.cause;
    g.context = k.context;
  }
  return groups_[it->second];
}

Group& Aggregator::bounded_group(uint32_t site, std::string_view host, std::string_view upstream,
                                 int cause, ProxyKind proxy, bool context) {
  if (groups_.size() < kMaxGroups)
    return group_for(Key{site, intern(host), intern(upstream), cause, proxy, context});
  // At the cap: only known strings and keys, without interning new ones.
  auto h = ids_.find(host), u = ids_.find(upstream);
  if (h != ids_.end() && u != ids_.end()) {
    auto it = index_.find(Key{site, h->second, u->second, cause, proxy, context});
    if (it != index_.end()) return groups_[it->second];
  }
  const uint32_t other = intern(kOther);
  return group_for(Key{site, other, other, cause, proxy, context});
}

void Aggregator::add(const Hit& h, size_t max_samples) {
  if (h.access && h.request && pending_.size() < kMaxPending) {
    // Keep it until the groups are read: its error entry may come later.
    Pending p{h, std::string(), max_samples};
    p.owned.reserve(h.site.size() + h.host.size() + h.upstream.size() +
                    std::min(h.text.size(), kMaxSampleBytes));
    auto keep = [&p](std::string_view v) {
      size_t at = p.owned.size();
      p.owned.append(v);
      return at;
    };
    const size_t site = keep(h.site), host = keep(h.host), up = keep(h.upstream),
                 text = keep(h.text.substr(0, kMaxSampleBytes));
    pending_.push_back(std::move(p));
    Pending& q = pending_.back();
    const std::string& o = q.owned;
    q.hit.site = std::string_view(o).substr(site, h.site.size());
    q.hit.host = std::string_view(o).substr(host, h.host.size());
    q.hit.upstream = std::string_view(o).substr(up, h.upstream.size());
    q.hit.text = std::string_view(o).substr(text);
    return;
  }
  uint32_t gi = add_now(h, max_samples);
  if (!h.access && h.request && !h.context && requests_.size() < kMaxRequests)
    requests_.emplace(h.request, RequestEntry{h.time, gi, false});
}

void Aggregator::pair_pending() {
  std::vector<Pending> pending;
  pending.swap(pending_);
  for (const Pending& p : pending) {
    const Hit& h = p.hit;
    auto [b, e] = requests_.equal_range(h.request);
    RequestEntry* match = nullptr;
    for (auto it = b; it != e; ++it) {
      RequestEntry& r = it->second;
      if (r.used) continue;
      if (h.time == kNoTime || r.time == kNoTime ||
          (h.time - r.time <= kPairSeconds && r.time - h.time <= kPairSeconds)) {
        match = &r;
        break;
      }
    }
    if (!match) {
      add_now(h, p.max_samples);
      continue;
    }
    match->used = true;
    Group& g = groups_[match->group];
    ++paired_;
    if (h.status == 502)
      ++g.served_502;
    else if (h.status == 504)
      ++g.served_504;
    else
      ++g.served_other;
  }
}

uint32_t Aggregator::add_now(const Hit& h, size_t max_samples) {
  Group& g = bounded_group(intern(h.site), h.host.empty() ? std::string_view("-") : h.host,
                           h.upstream.empty() ? std::string_view("-") : h.upstream, h.cause, h.proxy,
                           h.context);
  const auto gi = static_cast<uint32_t>(&g - groups_.data());
  ++g.count;
  if (!g.context) ++total_;
  if (h.time != kNoTime) {
    if (h.time < g.first) g.first = h.time;
    if (h.time > g.last) g.last = h.time;
    g.utc = h.utc;
    // Kept sorted and distinct; lines mostly come in time order.
    const int64_t minute = h.time / 60;
    if (g.minutes.empty() || g.minutes.back() < minute) {
      g.minutes.push_back(minute);
    } else if (g.minutes.back() != minute) {
      auto at = std::lower_bound(g.minutes.begin(), g.minutes.end(), minute);
      if (*at != minute) g.minutes.insert(at, minute);
    }
  }
  auto r = std::find_if(g.rules.begin(), g.rules.end(),
                        [&](const std::pair<int, uint64_t>& p) { return p.first == h.rule; });
  if (r == g.rules.end())
    g.rules.emplace_back(h.rule, 1);
  else
    ++r->second;
  if (g.samples.size() < max_samples) {
    std::string_view t = h.text.substr(0, kMaxSampleBytes);
    bool dup = false;
    for (auto& s : g.samples) dup = dup || s.text == t;
    if (!dup) g.samples.push_back(Sample{h.source, h.line, std::string(t)});
  }
  return gi;
}

namespace {

// Adds the distinct sorted minutes `more` to `have` (the same). In chunk
// order `more` starts after `have` ends: an append. A clock that went back
// takes the general path.
void merge_minutes(std::vector<int64_t>& have, const std::vector<int64_t>& more) {
  if (more.empty()) return;
  if (have.empty() || more.front() > have.back()) {
    have.insert(have.end(), more.begin(), more.end());
    return;
  }
  const auto mid = static_cast<std::ptrdiff_t>(have.size());
  have.insert(have.end(), more.begin(), more.end());
  std::inplace_merge(have.begin(), have.begin() + mid, have.end());
  have.erase(std::unique(have.begin(), have.end()), have.end());
}

}  // namespace

void Aggregator::merge(const Aggregator& other, uint32_t source_offset, uint64_t line_offset) {
  std::vector<uint32_t> remap(other.groups_.size());
  for (size_t oi = 0; oi < other.groups_.size(); ++oi) {
    const Group& og = other.groups_[oi];
    Group& g = bounded_group(intern(other.str(og.site)), other.str(og.host), other.str(og.upstream),
                             og.cause, og.proxy, og.context);
    remap[oi] = static_cast<uint32_t>(&g - groups_.data());
    g.count += og.count;
    g.served_502 += og.served_502;
    g.served_504 += og.served_504;
    g.served_other += og.served_other;
    g.first = std::min(g.first, og.first);
    g.last = std::max(g.last, og.last);
    g.utc = g.utc || og.utc;
    for (auto& [rule, n] : og.rules) {
      auto r = std::find_if(g.rules.begin(), g.rules.end(),
                            [&](const std::pair<int, uint64_t>& p) { return p.first == rule; });
      if (r == g.rules.end())
        g.rules.emplace_back(rule, n);
      else
        r->second += n;
    }
    merge_minutes(g.minutes, og.minutes);
    const size_t max_samples = g.cause == og.cause && og.samples.size() > kSamples ? og.samples.size() : kSamples;
    for (const Sample& s : og.samples) {
      bool dup = false;
      for (auto& have : g.samples) dup = dup || have.text == s.text;
      if (!dup && g.samples.size() < max_samples)
        g.samples.push_back(Sample{s.source + source_offset, s.line + line_offset, s.text});
    }
  }
  total_ += other.total_;
  paired_ += other.paired_;
  for (const auto& [key, r] : other.requests_)
    if (requests_.size() < kMaxRequests) requests_.emplace(key, RequestEntry{r.time, remap[r.group], r.used});
  for (const Pending& p : other.pending_) {
    Hit h = p.hit;
    h.source += source_offset;
    h.line += line_offset;
    add(h, p.max_samples);
  }
}

}  // namespace gw502
