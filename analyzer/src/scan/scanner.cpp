#include "scan/scanner.hpp"
#include "scan/source_info.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <sys/stat.h>

#include "base/strutil.hpp"

#include "decode/format_detect.hpp"
#include "source/framer.hpp"
#include "base/newlines.hpp"
#include "decode/nginx_decoder.hpp"
#include "decode/request_key.hpp"
#include "decode/unwrap.hpp"

namespace gw502 {
namespace {

// nginx's phase for a response's body: " while reading upstream" at the end
// of the message or before its ", client: ..." context.
bool after_header(std::string_view message) {
  constexpr std::string_view kPhase = " while reading upstream";
  const size_t at = find_by(message, kPhase, 1);
  if (at == std::string_view::npos) return false;
  const std::string_view rest = message.substr(at + kPhase.size());
  return rest.empty() || rest[0] == ',';
}

// A JSON entry's evidence: its level, message and request, as one line,
// cut where a sample is (Aggregator::kMaxSampleBytes).
class JsonEvidence final : public SampleText {
 public:
  explicit JsonEvidence(const Event& ev) : ev_(ev) {}
  std::string_view text() const override {
    len_ = 0;
    put(ev_.level.empty() ? std::string_view("entry") : ev_.level);
    put(": ");
    put(ev_.message);
    if (!ev_.host.empty() || !ev_.request.empty()) {
      put(" (request ");
      put(ev_.host);
      // A Go proxy's request is a path ("a.example/api"); nginx's a request
      // line ("a.example: GET /api HTTP/1.1"), from a collector's record.
      if (!ev_.host.empty() && !ev_.request.empty() && ev_.request.front() != '/') put(": ");
      put(ev_.request);
      if (!ev_.client.empty()) {
        put(" from ");
        put(ev_.client);
      }
      put(")");
    }
    if (ev_.status) {
      char digits[16];
      const auto r = std::to_chars(digits, digits + sizeof digits, ev_.status);
      put(" status ");
      put(std::string_view(digits, static_cast<size_t>(r.ptr - digits)));
    }
    return std::string_view(buf_, len_);
  }

 private:
  void put(std::string_view s) const {
    const size_t n = std::min(s.size(), sizeof buf_ - len_);
    if (n) std::memcpy(buf_ + len_, s.data(), n);  // an empty view's data() may be null
    len_ += n;
  }
  const Event& ev_;
  mutable char buf_[Aggregator::kMaxSampleBytes];
  mutable size_t len_ = 0;
};

}  // namespace

const SourceInfo& Scanner::source_as(const SourceInfo& info, ProxyKind proxy) {
  if (proxy == info.proxy) return info;
  const size_t k = static_cast<size_t>(proxy);
  if (as_of_[k] != &info || as_[k].name != info.name) {
    as_[k] = info;
    as_[k].proxy = proxy;
    as_[k].site.clear();
    as_of_[k] = &info;
  }
  return as_[k];
}

void Scanner::line(std::string_view raw, uint64_t number, const SourceInfo& info,
                   uint32_t source_index, ScanStats& stats) {
  ++stats.candidates;
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
  std::string_view text = unwrap_line(raw);
  const unsigned families = info.forced ? family_bit(family_of(info.proxy)) : kAllFamilies;
  Event ev;
  const Decoded d = decoder_.decode(raw, text, families, ev);
  if (d.kind == LineKind::malformed) {
    // Counted only where a chunk of JSON lines would have looked at it too,
    // so that the count does not depend on the chunk the line falls in (D11).
    if (shape_ == ChunkShape::json || shape_ == ChunkShape::logfmt || cls_.json_candidate(raw)) ++stats.malformed;
    return;
  }
  if (d.kind != LineKind::error && d.kind != LineKind::access) return;
  const bool access = d.kind == LineKind::access;
  int rule = cls_.classify(d.family, access, d.match, ev.status);
  if (rule == Classifier::kMatchError) ++stats.match_errors;
  if (rule < 0) return;
  const Catalogue& cat = cls_.catalogue();
  const Rule& r = cat.rules()[static_cast<size_t>(rule)];
  if (r.ignore) {
    // nginx's error-log noise is not even a candidate in a chunk of nginx
    // error lines (its literals are left out there): so that the count does
    // not depend on the chunk (D11), only the Go proxies' and access noise counts.
    if (access || d.family != LogFamily::nginx) ++stats.ignored;
    return;
  }
  if (ev.time != kNoTime && !ev.time_is_utc) {  // the writer's local time
    ev.time = zone_.to_utc(ev.time);
    ev.time_is_utc = true;
  }
  if (ev.time != kNoTime && ((opt_.since != kNoTime && ev.time < opt_.since) ||
                             (opt_.until != kNoTime && ev.time > opt_.until))) {
    ++stats.filtered;
    return;
  }
  finish_nginx_error(ev);  // the context fields, now that the line counts
  if (ev.upstream.empty()) {
    std::string_view up = cls_.capture_upstream(rule, d.match);
    if (!up.empty()) ev.upstream = upstream_address(up, ev.scheme);
  }
  int cause = r.cause;
  if (!d.cause.empty()) {  // the Caddy bridge's X-Gw502-Cause: the cause the proxy saw
    int c = cat.find_cause(d.cause);
    if (c >= 0) cause = c;
  }
  // A line of another proxy than the source was taken for reports as that proxy.
  const ProxyKind proxy = d.family == family_of(info.proxy) ? info.proxy
                          : d.family == LogFamily::caddy    ? ProxyKind::caddy
                          : d.family == LogFamily::traefik  ? ProxyKind::traefik
                                                            : ProxyKind::nginx;
  const SourceInfo& src = source_as(info, proxy);
  std::string_view host = !ev.host.empty() ? ev.host : ev.server;
  ++stats.events;
  // Evidence a reader can use: a JSON entry's message and request, not the
  // first bytes of the raw object (Caddy puts the error after the headers).
  // Put together only when a group keeps it as a sample.
  const bool entry = !text.empty() && text.front() == '{' && !ev.message.empty();
  const JsonEvidence evidence(ev);
  Hit h{proxy, src.site, host, ev.upstream, cause, rule,
        ev.time, ev.time_is_utc, source_index, number, text};
  if (entry) h.make_text = &evidence;
  h.access = access;
  h.status = ev.status;
  h.failed_tries = ev.failed_tries;
  // An error entry's key only serves pairing; with pairing off (a run of
  // nginx error logs only) none is recorded, so none is made. An access
  // entry's key is counted even then: it calls for the second read.
  if (d.request)
    h.request = d.request;
  else if (access || agg_.pairing())
    h.request = request_key(ev.client, ev.request);
  // nginx had sent the upstream's response header already (it reads the
  // body "while reading upstream"): no 502/504 came of it.
  h.cut = !access && d.family == LogFamily::nginx && !ev.client.empty() && after_header(ev.message);
  // nginx's connection: the tries of one request share it. HTTP/1 only: an
  // HTTP/2 connection carries many requests at once.
  if (!access && ev.cid >= 0 && find_by(ev.request, " HTTP/2", 1) == std::string_view::npos &&
      find_by(ev.request, " HTTP/3", 1) == std::string_view::npos)
    h.conn = static_cast<uint32_t>((static_cast<uint64_t>(ev.pid + 1) * 0x9E3779B97F4A7C15ull) ^
                                   static_cast<uint64_t>(ev.cid)) | 1u;
  // nginx lines that belong to no request: resolver, start-up, alerts.
  h.context = !access && d.family == LogFamily::nginx && ev.client.empty() && ev.request.empty() &&
              ev.cid < 0;
  const unsigned keep = cat.causes()[static_cast<size_t>(cause)].samples;
  agg_.add(h, keep ? keep : Aggregator::kSamples);
  if (sink_) sink_->on_event(src, number, ev, rule, cause, host);
}

// Finds lines longer than max_line with one memrchr per window: every line
// that starts in a window of max_line bytes and ends in it is short enough.
void Scanner::report_overlong(std::string_view buf, uint64_t first_line, const SourceInfo& info,
                              std::vector<Problem>& problems) const {
  const size_t max = opt_.max_line;
  const char* b = buf.data();
  size_t pos = 0, counted = 0;
  uint64_t line_no = first_line;
  while (buf.size() - pos > max) {
    const void* nl = memrchr(b + pos, '\n', max + 1);
    if (nl) {
      pos = static_cast<size_t>(static_cast<const char*>(nl) - b) + 1;
      continue;
    }
    line_no += count_newlines(b + counted, pos - counted);
    counted = pos;
    problems.push_back({info.name, line_no, overlong_problem(max)});
    const void* end = std::memchr(b + pos, '\n', buf.size() - pos);
    if (!end) break;
    pos = static_cast<size_t>(static_cast<const char*>(end) - b) + 1;
  }
}

uint64_t Scanner::scan_buffer(std::string_view buf, uint64_t first_line, const SourceInfo& info,
                              uint32_t source_index, ScanStats& stats,
                              std::vector<Problem>& problems) {
  if (buf.size() > opt_.max_line) report_overlong(buf, first_line, info, problems);
  size_t counted = 0;  // the start of the last candidate line, or 0
  const char* b = buf.data();
  // One pass over the chunk tells its shape and indexes its newlines; a
  // candidate's line number is then a count within NewlineIndex::kStep bytes.
  const ChunkShape shape = shape_ = chunk_shape(buf, &newlines_);
  // A custom format's lines may look like JSON or anything: every prefilter
  // literal is sought, not only those of the shape's formats.
  for (size_t line_end : cls_.candidates(buf, opt_.access_format ? ChunkShape::mixed : shape)) {
    // The line's start: the newline before its end, searched back from there.
    const void* prev = line_end > counted ? memrchr(b + counted, '\n', line_end - counted) : nullptr;
    size_t start = prev ? static_cast<size_t>(static_cast<const char*>(prev) - b) + 1 : counted;
    size_t end = line_end < buf.size() ? line_end + 1 : buf.size();  // with its newline
    counted = start;
    line(buf.substr(start, std::min(end - start, opt_.max_line)), first_line + newlines_.before(start), info,
         source_index, stats);
  }
  uint64_t lines = newlines_.total();
  if (!buf.empty() && buf.back() != '\n') ++lines;  // a last line without its newline
  return lines;
}

bool Scanner::scan(Source& src, const SourceInfo& info, uint32_t source_index, ScanStats& stats,
                   std::vector<Problem>& problems) {
  // Sniffed on the head read ahead, not on the first chunk (D11).
  StreamHead head(src);
  if (looks_binary(head.head())) {
    problems.push_back({info.name, 0, kBinaryProblem});
    return false;
  }
  Framer framer(head, opt_.block, opt_.max_line);
  Chunk chunk;
  uint64_t next_line = 1;
  while (framer.next(chunk)) {
    stats.bytes += chunk.text.size();
    if (chunk.overlong) {
      problems.push_back({info.name, next_line, overlong_problem(opt_.max_line)});
      scan_buffer(chunk.text, next_line, info, source_index, stats, problems);
      next_line += 1;
      stats.lines += 1;
      continue;
    }
    uint64_t n = scan_buffer(chunk.text, next_line, info, source_index, stats, problems);
    next_line += n;
    stats.lines += n;
  }
  if (!framer.error().empty()) {
    problems.push_back({info.name, 0,
                        framer.error() + " (after line " + std::to_string(next_line - 1) + ")"});
    return false;
  }
  return true;
}

}  // namespace gw502
