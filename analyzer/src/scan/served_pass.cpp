#include "scan/served_pass.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "base/local_time.hpp"
#include "core/event.hpp"
#include "decode/format_detect.hpp"
#include "decode/line_decoder.hpp"
#include "decode/request_key.hpp"
#include "decode/unwrap.hpp"
#include "source/framer.hpp"
#include "source/source.hpp"

namespace gw502 {
namespace {

// The client and request line of an access line that starts with the client
// ("$remote_addr - $remote_user [$time_local] \"$request\" $status ..."), and
// whether a status follows the request; false for anything else.
bool client_and_request(std::string_view line, std::string_view& client, std::string_view& request) {
  const size_t sp = line.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return false;
  const size_t q = line.find(" \"", sp);
  if (q == std::string_view::npos) return false;
  const size_t close = line.find("\" ", q + 2);
  if (close == std::string_view::npos || close + 5 > line.size()) return false;
  const char* s = line.data() + close + 2;
  for (int i = 0; i < 3; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  client = line.substr(0, sp);
  request = line.substr(q + 2, close - q - 2);
  return true;
}

std::string_view trim_eol(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Whether the first lines of a chunk hold access lines in such a format.
bool holds_access_lines(std::string_view chunk) {
  constexpr int kLook = 200;
  std::string_view client, request;
  for (int n = 0; n < kLook && !chunk.empty(); ++n) {
    const size_t nl = chunk.find('\n');
    const std::string_view raw = chunk.substr(0, nl);
    if (client_and_request(unwrap_line(trim_eol(raw)), client, request)) return true;
    if (nl == std::string_view::npos) break;
    chunk.remove_prefix(nl + 1);
  }
  return false;
}

class Reader {
 public:
  Reader(const Catalogue& cat, const ScanOptions& opt, const std::vector<uint32_t>& keys, Aggregator& agg)
      : opt_(opt), keys_(keys), agg_(agg), zone_(opt.naive_utc) {
    cause_ = cat.find_cause("retried_served");
    rule_ = cat.find_rule("access.served_after_error");
  }
  bool usable() const { return cause_ >= 0 && rule_ >= 0; }

  // One line (without its line ending) of source `index`.
  void line(std::string_view raw, uint64_t number, const SourceInfo& info, uint32_t index) {
    const std::string_view text = unwrap_line(raw);
    std::string_view client, request;
    if (!client_and_request(text, client, request)) return;
    const uint64_t key = request_key(client, request);
    if (!std::binary_search(keys_.begin(), keys_.end(), Aggregator::short_key(key))) return;
    Event ev;
    const Decoded d = decoder_.decode(raw, text, family_bit(LogFamily::nginx), ev);
    if (d.kind != LineKind::access || d.family != LogFamily::nginx) return;
    if (ev.status < 100 || ev.status >= 499) return;  // 499 and 5xx are the scan's
    if (request_key(ev.client, ev.request) != key) return;
    if (ev.time != kNoTime && !ev.time_is_utc) {
      ev.time = zone_.to_utc(ev.time);
      ev.time_is_utc = true;
    }
    if (ev.time != kNoTime && ((opt_.since != kNoTime && ev.time < opt_.since) ||
                               (opt_.until != kNoTime && ev.time > opt_.until)))
      return;
    Hit h{info.proxy, info.site, !ev.host.empty() ? ev.host : ev.server, ev.upstream, cause_, rule_,
          ev.time, ev.time_is_utc, index, number, text};
    h.access = true;
    h.pair_only = true;
    h.status = ev.status;
    h.request = key;
    agg_.add(h);
    ++stats_.lines;
  }

  // The whole source; false when it could not be read to its end.
  bool source(Source& src, const SourceInfo& info, uint32_t index, std::string& err) {
    Framer framer(src, opt_.block, opt_.max_line);
    Chunk chunk;
    uint64_t number = 1;
    ++stats_.sources;
    while (framer.next(chunk)) {
      if (chunk.overlong) {
        ++number;
        continue;
      }
      std::string_view rest = chunk.text;
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        line(trim_eol(rest.substr(0, nl)), number++, info, index);
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
    }
    err = framer.error();
    return err.empty();
  }

  const ServedPassStats& stats() const { return stats_; }

 private:
  const ScanOptions& opt_;
  const std::vector<uint32_t>& keys_;
  Aggregator& agg_;
  LocalZone zone_;
  LineDecoder decoder_;
  int cause_ = -1, rule_ = -1;
  ServedPassStats stats_;
};

// Whether a file's first lines (kHeadBytes) are access lines in such a
// format: read before anything else, so that error logs alone (the usual
// case) cost one small read each and no list of requests.
constexpr size_t kHeadBytes = 64 << 10;
bool head_holds_access_lines(const std::string& path) {
  std::string err;
  auto src = open_source(path, err);
  if (!src) return false;
  std::string head(kHeadBytes, '\0');
  size_t have = 0;
  while (have < head.size()) {
    const long n = src->read(head.data() + have, head.size() - have, err);
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  head.resize(have);
  // The last line may be cut short by the head's end: leave it out.
  if (have == kHeadBytes) {
    const size_t nl = head.rfind('\n');
    head.resize(nl == std::string::npos ? 0 : nl + 1);
  }
  return holds_access_lines(head);
}

}  // namespace

bool served_pass_reads(const SourceInfo& info) {
  if (family_of(info.proxy) != LogFamily::nginx || info.name == "-") return false;
  struct stat st;
  if (::stat(info.name.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  return head_holds_access_lines(info.name);
}

ServedPassStats read_served(const Catalogue& cat, const ScanOptions& opt,
                            const std::vector<SourceInfo>& sources, Aggregator& agg,
                            std::vector<Problem>& problems) {
  if (agg.total() == 0) return {};
  std::vector<size_t> readable;  // regular nginx files that start with access lines
  for (size_t i = 0; i < sources.size(); ++i)
    if (served_pass_reads(sources[i])) readable.push_back(i);
  if (readable.empty()) return {};
  const std::vector<uint32_t> keys = agg.unpaired_requests();
  if (keys.empty()) return {};
  Reader reader(cat, opt, keys, agg);
  if (!reader.usable()) return {};
  for (size_t i : readable) {
    const SourceInfo& info = sources[i];
    std::string err;
    auto src = open_source(info.name, err);
    if (src && reader.source(*src, info, static_cast<uint32_t>(i), err)) continue;
    problems.push_back({info.name, 0, "could not be read again for the status served to retried requests: " + err});
  }
  return reader.stats();
}

}  // namespace gw502
