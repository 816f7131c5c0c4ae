// Counts failed requests per (proxy, site, upstream, cause). Keys are
// interned: a hit on a known key allocates nothing. Aggregators merge, so
// worker threads (and separate runs) can be combined.
//
// A failure is a request; its lines are evidence. An access-log entry of a
// request whose error-log entry was counted (same client and path, times at
// most kPairSeconds apart, whichever file came first) is not another failure:
// it gives the error's group the status that was served. Access entries wait
// in a bounded list until the groups are read (groups(), total()), so the
// error log may be read after the access log. Error lines that belong to no
// request (a resolver that does not answer, nginx's start-up errors, request-
// less alerts) are `context` groups: shown, never counted as failures.
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
  bool context = false;    // lines without a request: findings, not failures
  uint64_t served_502 = 0, served_504 = 0, served_other = 0;  // statuses its access entries show
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
  uint64_t request = 0;   // the request's key (client and path, or Caddy's hash); 0: none
  bool access = false;    // an access-log entry (pairs with the request's error entry)
  int status = 0;         // access entries: the status served
  bool context = false;   // no request behind the line (see above)
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

  static constexpr int64_t kPairSeconds = 2;
  static constexpr size_t kMaxPending = 100000;    // access entries waiting for their error entry
  static constexpr size_t kMaxRequests = 1000000;  // error entries an access entry can pair with

  void add(const Hit& h, size_t max_samples = kSamples);
  // Adds other's groups after this one's; other's samples get source_offset
  // added to their source numbers and line_offset to their line numbers.
  void merge(const Aggregator& other, uint32_t source_offset = 0, uint64_t line_offset = 0);

  const std::vector<Group>& groups() const {
    resolve();
    return groups_;
  }
  std::string_view str(uint32_t id) const { return strings_[id]; }
  // Failed requests (context groups not included).
  uint64_t total() const {
    resolve();
    return total_;
  }
  // Access entries that were the echo of a counted error entry.
  uint64_t paired() const {
    resolve();
    return paired_;
  }

 private:
  struct Pending {
    Hit hit;  // its views point into `owned`
    std::string owned;
    size_t max_samples;
  };
  struct RequestEntry {
    int64_t time;
    uint32_t group;
    bool used;
  };
  // Pairs the waiting access entries with error entries. groups() and
  // total() are const, and pairing must wait until every source is read: an
  // Aggregator is never a const object, so resolve() may finish the work.
  void resolve() const {
    if (!pending_.empty()) const_cast<Aggregator*>(this)->pair_pending();
  }
  void pair_pending();
  uint32_t add_now(const Hit& h, size_t max_samples);
  uint32_t intern(std::string_view s);
  // The group for a key; a new key past kMaxGroups folds into kOther.
  Group& bounded_group(uint32_t site, std::string_view host, std::string_view upstream, int cause,
                       ProxyKind proxy, bool context);
  struct Key;
  Group& group_for(const Key& k);
  struct Key {
    uint32_t site, host, upstream;
    int cause;
    ProxyKind proxy;
    bool context;
    bool operator==(const Key& o) const {
      return site == o.site && host == o.host && upstream == o.upstream && cause == o.cause &&
             proxy == o.proxy && context == o.context;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = (uint64_t{k.site} << 42) ^ (uint64_t{k.host} << 21) ^ k.upstream;
      h ^= (uint64_t(uint32_t(k.cause)) << 9 | uint64_t(k.proxy) << 1 | uint64_t(k.context)) *
           0x9E3779B97F4A7C15ull;
      return std::hash<uint64_t>()(h);
    }
  };
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, uint32_t> ids_;
  std::unordered_map<Key, uint32_t, KeyHash> index_;
  std::vector<Group> groups_;
  uint64_t total_ = 0;
  uint64_t paired_ = 0;
  std::vector<Pending> pending_;
  std::unordered_multimap<uint64_t, RequestEntry> requests_;
};

}  // namespace gw502
