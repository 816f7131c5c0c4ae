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
  }
  return groups_[it->second];
}

Group& Aggregator::bounded_group(uint32_t site, std::string_view host, std::string_view upstream,
                                 int cause, ProxyKind proxy) {
  if (groups_.size() < kMaxGroups)
    return group_for(Key{site, intern(host), intern(upstream), cause, proxy});
  // At the cap: only known strings and keys, without interning new ones.
  auto h = ids_.find(host), u = ids_.find(upstream);
  if (h != ids_.end() && u != ids_.end()) {
    auto it = index_.find(Key{site, h->second, u->second, cause, proxy});
    if (it != index_.end()) return groups_[it->second];
  }
  const uint32_t other = intern(kOther);
  return group_for(Key{site, other, other, cause, proxy});
}

void Aggregator::add(const Hit& h, size_t max_samples) {
  Group& g = bounded_group(intern(h.site), h.host.empty() ? std::string_view("-") : h.host,
                           h.upstream.empty() ? std::string_view("-") : h.upstream, h.cause, h.proxy);
  ++g.count;
  ++total_;
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
  for (const Group& og : other.groups_) {
    Group& g = bounded_group(intern(other.str(og.site)), other.str(og.host), other.str(og.upstream),
                             og.cause, og.proxy);
    g.count += og.count;
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
}

}  // namespace gw502
