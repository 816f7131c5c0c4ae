// Counts classified lines per (proxy, site, upstream, cause). Keys are
// interned: a hit on a known key allocates nothing. Aggregators merge, so
// worker threads (and separate runs) can be combined.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalogue/catalogue.hpp"

namespace gw502 {

struct Sample {
  uint32_t source = 0;
  uint64_t line = 0;
  std::string text;
};

struct Group {
  ProxyKind proxy = ProxyKind::nginx;
  uint32_t site = 0;      // interned: NPM "proxy-host-12", "" for plain nginx
  uint32_t host = 0;      // interned: the Host header, else the server name, "-" when unknown
  uint32_t upstream = 0;  // interned: "172.18.0.5:3000", "-" when unknown
  int cause = -1;
  uint64_t count = 0;
  int64_t first = INT64_MAX;  // kNoTime-aware: only set from known times
  int64_t last = INT64_MIN;
  bool utc = false;
  std::vector<std::pair<int, uint64_t>> rules;  // rule index -> hits
  std::vector<int64_t> minutes;                 // distinct minutes with hits, sorted (for bursts)
  std::vector<Sample> samples;                  // first few lines, for the report
};

struct Hit {
  ProxyKind proxy;
  std::string_view site;
  std::string_view host;
  std::string_view upstream;
  int cause;
  int rule;
  int64_t time;  // kNoTime when unknown
  bool utc;
  uint32_t source;
  uint64_t line;
  std::string_view text;  // the line, for samples
};

class Aggregator {
 public:
  static constexpr size_t kSamples = 3;
  static constexpr size_t kMaxSampleBytes = 512;
  // Hosts come from clients (the Host header): past this many groups, hits
  // with a host or upstream not seen before count under kOther, so memory
  // stays bounded whatever a log holds.
  static constexpr size_t kMaxGroups = 10000;
  static constexpr std::string_view kOther = "(others)";

  void add(const Hit& h, size_t max_samples = kSamples);
  // Adds other's groups after this one's; other's samples get source_offset
  // added to their source numbers and line_offset to their line numbers.
  void merge(const Aggregator& other, uint32_t source_offset = 0, uint64_t line_offset = 0);

  const std::vector<Group>& groups() const { return groups_; }
  std::string_view str(uint32_t id) const { return strings_[id]; }
  uint64_t total() const { return total_; }

 private:
  uint32_t intern(std::string_view s);
  // The group for a key; a new key past kMaxGroups folds into kOther.
  Group& bounded_group(uint32_t site, std::string_view host, std::string_view upstream, int cause,
                       ProxyKind proxy);
  struct Key;
  Group& group_for(const Key& k);
  struct Key {
    uint32_t site, host, upstream;
    int cause;
    ProxyKind proxy;
    bool operator==(const Key& o) const {
      return site == o.site && host == o.host && upstream == o.upstream && cause == o.cause &&
             proxy == o.proxy;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = (uint64_t{k.site} << 42) ^ (uint64_t{k.host} << 21) ^ k.upstream;
      h ^= (uint64_t(uint32_t(k.cause)) << 8 | uint64_t(k.proxy)) * 0x9E3779B97F4A7C15ull;
      return std::hash<uint64_t>()(h);
    }
  };
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, uint32_t> ids_;
  std::unordered_map<Key, uint32_t, KeyHash> index_;
  std::vector<Group> groups_;
  uint64_t total_ = 0;
};

}  // namespace gw502
