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
//
// Order-independent merging (the pipeline keeps one Aggregator per worker
// thread, each fed chunks in any order): every figure is a sum, a min/max or
// a set union, and everything that is "the first" is chosen by position
// (source, chunk, line), never by arrival. Positions of a worker's hits are
// relative to their chunk (set_chunk()); merge_parts() makes them absolute
// once every chunk's line count is known. So a report is the same for any
// thread count, chunk size, and file or stream.
//
// Bounded memory, whatever a log holds:
// - samples: at most max_samples (catalogue, default kSamples) per group, the
//   first lines by position, each at most kMaxSampleBytes;
// - minutes with hits: exact for the group's last kMaxMinutes minutes, older
//   ones as 10-minute blocks, older than kHourMinutes as hours, older than
//   kDayMinutes as days (a long follow run): at most ~3,000 per group;
// - groups: at most kMaxGroups keys are kept exact. Past that the cap folds
//   keys into an "(others)" group per (proxy, site, cause, context) with the
//   sums of what they counted. Which keys stay is decided by a hash of the
//   key (a distinct-sampling level: a key stays when its hash has at least
//   fold_level() trailing zero bits), so the set of exact groups depends on
//   the set of keys in the input, never on their order or the thread count;
//   with fold_level() = L, about 1 key in 2^L keeps its own group.
//   folded_groups() estimates how many keys were folded, folded_count() says
//   how many hits (lines) went into the "(others)" groups. The folded hits
//   also go into a summary (HeavyKeys) that names the keys which may be
//   heavy among them; a second pass over the same input (pin()) makes those
//   exact. No worker chooses by counts: what it sees depends on -j, chunk
//   size and timing, and a key dropped early cannot be exact later (README).
// - request entries: 16 bytes each (a short key), merge_parts() moves them.
// - request keys for pairing: the first kMaxRequests error entries by position.
// - access entries waiting for pairing: at most kMaxPending, 64 bytes each
//   (strings interned in the aggregator's table) plus their sample text in a
//   block arena, kept only while the entry can still become a sample: a text
//   goes when the group it would join unpaired already holds its samples,
//   all earlier (never for a served status: that entry may move to another
//   group). Which entries wait is decided by a hash of the request key, as
//   for groups: an entry waits when its hash has at least pending_level()
//   trailing zero bits; past kMaxPending the level rises and the entries
//   below it are counted unpaired at once (pair-only ones are dropped). The
//   level is the lowest one at which the whole input's entries fit, whatever
//   the order or the partition of chunks over workers: each part's level is
//   at most that, and the merge raises it to exactly that. Texts are the bulk
//   while nothing is known yet (an access log read before its error log, no
//   level raised: no group holds samples), up to kMaxPending lines of at most
//   kMaxSampleBytes in each worker's part; once entries are counted, the
//   texts their groups can no longer take go.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aggregate/heavy_keys.hpp"
#include "aggregate/interner.hpp"
#include "aggregate/minute_set.hpp"
#include "aggregate/sample_floor.hpp"
#include "catalogue/catalogue.hpp"

namespace gw502 {

// One line kept as evidence. Its text is held, or, for a line of a plain
// file read through a map (Aggregator::set_chunk() with the chunk's bytes),
// only where it lies in the file: the report reads back the few it prints
// (Aggregator::sample_text()), and the thousands of groups of a fleet's log
// do not each hold their lines in every worker (issue 16).
struct Sample {
  static constexpr uint64_t kNoOffset = UINT64_MAX;
  uint32_t source = 0;
  uint32_t chunk = 0;  // a worker's chunk while `line` is relative to it; 0 once absolute
  uint64_t line = 0;
  std::string text;               // empty when held by reference
  uint64_t offset = kNoOffset;    // the line's first byte in its source's file, or kNoOffset
  uint64_t hash = 0;              // of the text: samples are distinct by (hash, len)
  uint32_t len = 0;               // the text's length (at most Aggregator::kMaxSampleBytes)
  bool by_reference() const { return offset != kNoOffset; }
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
  std::vector<std::pair<int, uint64_t>> rules;  // rule index -> hits, by rule index
  // Distinct minutes with hits, sorted (for bursts). Exact for the last
  // kMaxMinutes minutes of the group; older ones are the start of their
  // 10-minute block, hour or day: see Aggregator.
  // Minutes since 1970, 32-bit values (a busy group holds up to a day's
  // 1,440 and more, in every worker's part; MinuteSet keeps them as gaps of
  // about a byte): kMinMinute..kMaxMinute, years about -2100 to 6000; times
  // outside are counted at the bound.
  using Minute = MinuteSet::Minute;
  static constexpr int64_t kMinMinute = INT32_MIN + (1 << 20), kMaxMinute = INT32_MAX - (1 << 20);
  MinuteSet minutes;  // about a byte each (minute_set.hpp)
  std::vector<Sample> samples;                  // first few lines (by position), for the report
  bool context = false;    // lines without a request: findings, not failures
  uint64_t served_502 = 0, served_504 = 0, served_other = 0;  // statuses its access entries show
  // Failed tries of requests nginx then passed to the next server of the
  // pool: the request counts once, under its last try's group (count), so
  // these are not in count. Known when the access line pairs them.
  uint64_t tries = 0;
  // nginx: failures after the response header had gone out ("while reading
  // upstream"): the client got the upstream's status and a cut body, not a
  // 502/504; not in count.
  uint64_t cut = 0;
  bool folded = false;     // an "(others)" group: keys past the group cap (see Aggregator)
  // Internal to the Aggregator: the position of its first hit (source, chunk,
  // line), its key's hash, the samples it keeps, whether minutes are coarse.
  uint32_t first_source = UINT32_MAX, first_chunk = 0;
  uint64_t first_line = 0;
  uint64_t key_hash = 0;
  uint8_t max_samples = 0;
  bool coarse_minutes = false;
};

// A sample's text made only when a group keeps it: a JSON entry's evidence
// is put together from its fields, and most hits are never kept.
class SampleText {
 public:
  virtual std::string_view text() const = 0;

 protected:
  ~SampleText() = default;
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
  const SampleText* make_text = nullptr;  // when set, it makes the text instead
  uint64_t request = 0;   // the request's key (client and path, or Caddy's hash); 0: none
  uint32_t conn = 0;      // nginx's process and connection (pid, *cid) hashed; 0: unknown
  bool cut = false;       // nginx: failed after the response header went out (see Group::cut)
  bool access = false;    // an access-log entry (pairs with the request's error entry)
  int status = 0;         // access entries: the status served
  bool context = false;   // no request behind the line (see above)
  // An access entry that only tells what was served to a request whose error
  // entry is known (scan/served_pass): it pairs, or it is dropped.
  bool pair_only = false;
  // access entries: the request's tries that failed with 502/504, when the
  // access log lists its upstream statuses ("502, 502, 404"); 0: unknown
  uint8_t failed_tries = 0;
};

class Aggregator {
 public:
  static constexpr size_t kSamples = 3;
  static constexpr size_t kMaxSampleBytes = 512;
  // Keys kept exact (see above); "(others)" groups do not count.
  static constexpr size_t kMaxGroups = 8192;
  // Room reserved at once for groups (and the key index): the cap and its "(others)".
  static constexpr size_t kGroupRoom = kMaxGroups + kMaxGroups / 8;
  static constexpr std::string_view kOther = "(others)";
  static constexpr size_t kMaxMinutes = 1440;        // exact minutes per group (one day)
  static constexpr int64_t kHourMinutes = 7 * 1440;  // then 10-minute blocks for a week,
  static constexpr int64_t kDayMinutes = 30 * 1440;  // hours up to 30 days, then days

  static constexpr int64_t kPairSeconds = 2;
  // How long before its access line a request's first try may be logged:
  // several servers times proxy_connect_timeout / proxy_read_timeout.
  static constexpr int64_t kTryWindow = 900;
  static constexpr int kTryLook = 32;  // entries looked at on each side
  static constexpr size_t kMaxPending = 100000;   // access entries waiting for their error entry
  static constexpr size_t kMaxRequests = 1 << 19;  // error entries an access entry can pair with

  // Hits added from now on are in chunk `chunk`, their lines relative to it
  // (the pipeline's workers; see merge_parts()). `bytes`, when given, is the
  // chunk as it lies in its source's file from byte `file_offset` on: a
  // sample whose text is a view into it is kept by reference (Sample).
  void set_chunk(uint32_t chunk, std::string_view bytes = {}, uint64_t file_offset = 0) {
    chunk_ = chunk;
    chunk_bytes_ = bytes;
    chunk_offset_ = file_offset;
  }
  // Reads `len` bytes at `offset` of source `source`'s file into `out`; false
  // when it cannot. Samples held by reference need one (set by whoever knows
  // the sources' paths: the command line).
  // The workers of one scan share a SampleFloor (see there): lines no merge
  // could keep as samples are not kept. Null: none.
  void set_sample_floor(SampleFloor* floor) { floor_ = floor; }
  using SampleReader = std::function<bool(uint32_t source, uint64_t offset, size_t len, std::string& out)>;
  void set_sample_reader(SampleReader reader) { reader_ = std::move(reader); }
  // A sample's text: its own, or read back from its file. A line that can no
  // longer be read, or that changed since it was read (another hash), gives
  // a note in brackets saying so instead.
  std::string sample_text(const Sample& s) const;
  // Whether error entries are recorded for pairing (the pipeline turns it off
  // for a chunk when kMaxRequests entries are known to come before it: they
  // would be dropped by the merge, which keeps the first kMaxRequests by
  // position). On by default.
  void set_record_requests(bool on) { record_requests_ = on; }
  // Whether this run pairs access entries with error entries at all (on by
  // default). A run whose every input is an nginx error log by its first
  // lines can turn it off: no error entry is recorded for pairing (16 bytes
  // each, up to kMaxRequests: 8 MiB at 1 GiB of failures). An access entry
  // met all the same is still counted, and access_requests() tells that the
  // run must be read again with pairing (the command line does). The
  // pipeline's per-worker parts take the whole's setting.
  void set_pairing(bool on) { pairing_ = on; }
  bool pairing() const { return pairing_; }
  // Access entries of a request (ones that could pair) added, merged parts' too.
  uint64_t access_requests() const { return access_requests_; }
  // Error entries recorded for pairing (at most kMaxRequests).
  size_t request_count() const { return requests_.size(); }

  void add(const Hit& h, size_t max_samples = kSamples);
  // Adds other's groups to this one's; other's samples get source_offset
  // added to their source numbers and line_offset to their line numbers.
  void merge(const Aggregator& other, uint32_t source_offset = 0, uint64_t line_offset = 0);
  // Adds per-worker aggregators whose lines are relative to chunks:
  // chunk_base[c] is the number of lines before chunk c. The result does not
  // depend on which part holds which chunks. The parts are left empty.
  void merge_parts(std::vector<Aggregator>& parts, const std::vector<uint64_t>& chunk_base);

  const std::vector<Group>& groups() const {
    resolve();
    return groups_;
  }
  std::string_view str(uint32_t id) const { return strings_.str(id); }
  // How many strings are interned: ids are 0 .. string_count() - 1.
  size_t string_count() const { return strings_.size(); }
  // The pairing keys (short_key(Hit::request)) of counted error entries no
  // access entry has paired with yet (context groups aside), sorted and
  // distinct: the requests whose outcome the access logs read so far do not
  // tell.
  std::vector<uint32_t> unpaired_requests() const;
  static uint32_t short_key(uint64_t request) { return static_cast<uint32_t>(request ^ (request >> 32)); }
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
  // The group cap: 0 when every key has its own group; else the estimated
  // number of keys (site, host, upstream, cause) counted under "(others)".
  uint64_t folded_groups() const {
    resolve();
    return level_ == 0 ? 0 : (tracked_ - heavy_kept_) * ((uint64_t{1} << level_) - 1);
  }
  // Hits (lines) counted in "(others)" groups, context groups included.
  uint64_t folded_count() const;
  // Keys keep their own group when their hash has this many trailing zeros.
  unsigned fold_level() const { return level_; }

  // Heavy keys past the cap. A key with more than 1/kHeavyShare of all hits
  // (count, tries and cut of every group) and at least kHeavyMin of them is
  // "heavy". The hits the cap folds are summarised (HeavyKeys); the keys
  // that may be heavy among them, by their hash, sorted: empty when no
  // folded key can be heavy (then every heavy key has its own exact group).
  static constexpr uint64_t kHeavyShare = 512;
  static constexpr uint64_t kHeavyMin = 16;
  std::vector<uint64_t> heavy_candidates() const;
  // A second pass over the same input: keys stay at exactly this fold level
  // (the first pass's) and the candidates keep their own groups too. Set
  // before any hit; the pipeline's workers share it (share_pin()).
  struct Pin {
    unsigned level = 0;
    std::vector<uint64_t> keys;  // sorted key hashes
  };
  void pin(std::shared_ptr<const Pin> p);
  void share_pin(const Aggregator& whole) { pin(whole.pin_); }
  // After the second pass: folds the pinned keys that are not heavy, as the
  // first pass did; the heavy ones stay, exact. Returns how many stayed.
  size_t fold_light_pinned();
  // Keys kept exact by fold_light_pinned().
  size_t heavy_kept() const { return heavy_kept_; }
  bool second_pass() const { return bool(pin_); }
  // Whether every heavy key has its own exact group: none was folded, or a
  // second pass made them exact.
  bool heavy_exact() const { return pin_ ? heavy_served_folded_ == 0 : heavy_candidates().empty(); }
  // Heavy keys kept by the second pass whose requests retried and served
  // (retried_served, moved there by pairing) are a heavy share and counted
  // under "(others)": those are not exact (README).
  size_t heavy_served_folded() const { return heavy_served_folded_; }
  // Access entries wait for pairing when mix(request) has this many trailing zeros.
  unsigned pending_level() const { return pend_level_; }
  // Access entries waiting for pairing, and the bytes they hold (records and texts).
  size_t pending_count() const { return pending_.size(); }
  size_t pending_bytes() const { return pending_.size() * sizeof(Pending) + text_blocks_.size() * kTextBlock; }

 private:
  // 64 bytes: an access entry waiting for its error entry (see above).
  struct Pending {
    uint64_t request;
    int64_t time;
    uint64_t line;
    uint32_t source, chunk;
    uint32_t site, host, upstream;  // interned (strings_); "" stays ""
    uint32_t text_at;               // offset in the text arena (block * kTextBlock + offset)
    int32_t cause, rule;
    uint16_t text_len;
    int16_t status;
    uint8_t max_samples;
    uint8_t proxy;
    uint8_t utc : 1, pair_only : 1, context : 1, has_text : 1;
    uint8_t failed_tries;           // Hit::failed_tries
  };
  static_assert(sizeof(Pending) == 64, "a waiting entry is 64 bytes (pending_bytes())");
  static constexpr size_t kTextBlock = 64 * 1024;  // > kMaxSampleBytes: a text never straddles two
  static unsigned request_level(uint64_t request);
  // 16 bytes: the one record kept per counted error entry (up to
  // kMaxRequests of them in each worker's part and in the whole).
  struct RequestEntry {
    uint32_t key;         // short_key(Hit::request): pairing also needs times within kPairSeconds
    uint32_t time;        // seconds since 1970 (clamped), kNoRequestTime when unknown
    uint32_t group : 31;  // its group
    uint32_t used : 1;    // paired with an access entry
    uint32_t conn;        // Hit::conn
  };
  static constexpr uint32_t kNoRequestTime = UINT32_MAX;
  static uint32_t request_time(int64_t t);
  static int64_t request_time(uint32_t t);
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
  // A part of a merge: its groups' positions become absolute on the way in.
  struct Part {
    const Aggregator* agg;
    uint32_t source_offset;
    uint64_t line_offset;
    const std::vector<uint64_t>* chunk_base;  // or null
    bool consume;  // merge_parts(): its groups' samples, minutes and rules, and
                   // its request entries, are moved out and freed as they go in
  };

  // Pairs the waiting access entries with error entries. groups() and
  // total() are const, and pairing must wait until every source is read: an
  // Aggregator is never a const object, so resolve() may finish the work.
  void resolve() const {
    if (!pending_.empty()) const_cast<Aggregator*>(this)->pair_pending();
  }
  void pair_pending();
  void add_hit(const Hit& h, size_t max_samples, bool has_text);
  // Raises pend_level_ to at least min_level and until at most kMaxPending
  // entries wait; the others are counted unpaired (pair-only ones dropped).
  // Drops texts no group can take.
  void raise_pending_level(unsigned min_level);
  // Whether a waiting entry's text can still become a sample (see above).
  bool text_needed(const Pending& p) const;
  // Rebuilds the text arena with the texts of pending_[0, keep) still needed.
  void compact_texts(size_t keep);
  uint32_t store_text(std::string_view text);
  std::string_view text_of(const Pending& p) const {
    return {text_blocks_[p.text_at / kTextBlock].get() + p.text_at % kTextBlock, p.text_len};
  }
  // Counts a waiting entry unpaired (pending_[i]: its ids may change under add_now).
  void add_pending_now(size_t i);
  uint32_t add_now(const Hit& h, size_t max_samples, uint32_t chunk, bool sample = true);
  void sweep_tries(uint32_t paired, int64_t access_time, int listed);
  uint32_t intern(std::string_view s);
  uint32_t site_id(std::string_view site);
  void grow_groups();
  // The group for a key (created if new), or its "(others)" group when the
  // key's hash is below the fold level. The group cap is applied first.
  uint32_t group_index(std::string_view site, std::string_view host, std::string_view upstream,
                       int cause, ProxyKind proxy, bool context);
  uint32_t group_for(const Key& k, uint64_t hash);
  // The lookup of a hit's key by its hash (key_hash()), its strings compared:
  // a tracked group, or kNoId ("(others)" groups are not in it).
  static constexpr uint32_t kNoId = UINT32_MAX;
  uint32_t fast_find(uint64_t hash, std::string_view site, std::string_view host, std::string_view upstream,
                     int cause, ProxyKind proxy, bool context) const;
  void fast_insert(uint64_t hash, uint32_t group, std::string_view site, std::string_view host,
                   std::string_view upstream, int cause, ProxyKind proxy, bool context);

  uint32_t others_for(uint32_t site, int cause, ProxyKind proxy, bool context);
  // Raises the fold level until at most kMaxGroups keys are tracked, folds
  // the others and drops strings nothing names any more.
  void enforce_cap(int incoming_level);  // the level of a key about to be added, or -1
  // Whether a key keeps its own group at this fold level (or is pinned).
  bool stays(uint64_t hash, unsigned level) const;
  // Folds every tracked group that no longer stays() and renumbers.
  void refold();
  // What a group counted: count, tries and cut (HeavyKeys' weight).
  static uint64_t weight(const Group& g) { return g.count + g.tries + g.cut; }
  void add_counts(Group& to, const Group& from);
  void fold_into(Group& to, Group&& from);
  void merge_from(const std::vector<Part>& parts);

  Interner strings_;
  std::unordered_map<Key, uint32_t, KeyHash> index_;
  // Tracked groups by key hash (open addressing, at most half full): the
  // hit path's one lookup. Emptied when enforce_cap() renumbers groups.
  // A slot holds what a lookup compares, so that finding a key touches the
  // slot and its key's bytes (fast_keys_: host, upstream and site, each
  // after its 32-bit length), not the group and three interned strings.
  struct FastSlot {
    uint64_t hash;
    uint32_t group;
    uint32_t key_at;  // offset in fast_keys_
    int32_t cause;
    uint8_t proxy;
    uint8_t context;
  };
  std::vector<FastSlot> fast_;
  std::vector<char> fast_keys_;
  void fast_place(const FastSlot& slot);
  size_t fast_used_ = 0;
  uint32_t other_id_ = kNoId;  // intern(kOther), once
  std::string last_site_;      // site_id(): the last site asked for, and its id
  uint32_t last_site_id_ = kNoId;
  std::vector<Group> groups_;
  uint64_t total_ = 0;
  uint64_t paired_ = 0;
  uint32_t chunk_ = 0;
  std::string_view chunk_bytes_;  // set_chunk()
  uint64_t chunk_offset_ = 0;
  SampleReader reader_;
  SampleFloor* floor_ = nullptr;
  bool record_requests_ = true;
  bool pairing_ = true;
  uint64_t access_requests_ = 0;
  unsigned level_ = 0;   // fold level (see above)
  HeavyKeys heavy_;      // the hits folded into "(others)" (see heavy_candidates())
  std::shared_ptr<const Pin> pin_;  // a second pass (pin())
  size_t heavy_kept_ = 0;
  size_t heavy_served_folded_ = 0;
  std::unordered_map<uint64_t, uint64_t> moved_from_pinned_;  // pair_pending(): by key hash
  bool merging_ = false; // merge_from() at work: the cap waits for its end
  size_t tracked_ = 0;   // groups that are not "(others)"
  std::deque<Pending> pending_;  // a deque: no doubling, no copy when it grows
  unsigned pend_level_ = 0;      // see pending_level()
  std::vector<std::unique_ptr<char[]>> text_blocks_;
  size_t text_used_ = 0;         // bytes used in the last block
  std::string buf_site_, buf_host_, buf_up_;  // copies of a waiting entry's strings (reused)
  // Error entries with a request, in position order; request_chunks_ marks
  // where each chunk's entries start (merge_parts() interleaves them).
  std::deque<RequestEntry> requests_;  // a deque: no doubling, no copy when it grows
  std::vector<std::pair<uint32_t, uint32_t>> request_chunks_;  // (chunk, first entry)
  std::vector<uint32_t> by_key_;  // requests_ indices sorted by (key, position); may lag behind
  // Per key of a paired access entry: every entry of that key with a lower
  // requests_ index is used (pairing starts looking there).
  std::unordered_map<uint32_t, uint32_t> unused_from_;
};

}  // namespace gw502
