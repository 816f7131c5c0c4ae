#include "scan/source_info.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "base/strutil.hpp"
#include "decode/format_detect.hpp"
#include "prefilter/chunk_shape.hpp"
#include "source/source.hpp"

namespace gw502 {

namespace {
constexpr size_t kMaxHole = 1 << 20, kWindow = 8192, kRun = 16;
}  // namespace

// Random bytes or an executable: control characters other than NUL runs in
// the first block of content. A NUL run is a hole, not content (D10): a file
// copytruncated under a writer that does not append starts with one as long
// as the file was, and a crash leaves zeroed blocks. So a leading run (up to
// 1 MiB, so that a huge hole costs no time) is skipped, and within the 8 KiB
// after it runs of 16 or more NULs do not count. Nothing but NULs is binary:
// there is no text to read.
//
// The verdict depends on the input's first bytes only: the leading NUL run
// (at most kMaxHole) and the kWindow bytes after it, or fewer when the input
// is shorter. A file (mapped, all of it at hand) and a stream (StreamHead,
// read up to exactly that) are thus judged on the same bytes, whatever their
// chunks (D11). Without a hole, content without a NUL in its window is text
// (control characters alone, such as a coloured log's escapes, are not
// binary); the NUL used to be sought over 1 MiB + 8 KiB, which a stream's
// first chunk did not reach.
bool looks_binary(std::string_view head) {
  if (head.empty()) return false;
  size_t skip = 0;
  const size_t limit = std::min(head.size(), kMaxHole);
  while (skip < limit && head[skip] == '\0') ++skip;
  if (skip == head.size() || skip == kMaxHole) return true;
  head = head.substr(skip, kWindow);
  if (skip == 0 && head.find('\0') == std::string_view::npos) return false;
  size_t control = 0, counted = 0;
  for (size_t i = 0; i < head.size();) {
    if (head[i] == '\0') {
      size_t j = i;
      while (j < head.size() && head[j] == '\0') ++j;
      if (j - i < kRun) {
        control += j - i;
        counted += j - i;
      }
      i = j;
      continue;
    }
    const auto c = static_cast<unsigned char>(head[i++]);
    ++counted;
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f) ++control;
  }
  return counted == 0 || control * 20 > counted;
}

StreamHead::StreamHead(Source& src) : src_(src) {
  compression_ = src.compression();
  size_t nul = 0;  // the leading NUL run so far
  for (;;) {
    while (nul < head_.size() && head_[nul] == '\0') ++nul;
    if (nul >= kMaxHole) break;                                        // a hole too long to look past
    if (nul < head_.size() && head_.size() >= nul + kWindow) break;  // the window after the hole
    // Within the hole: read on in 64 KiB steps; after it: up to the window's end.
    const size_t want = nul < head_.size() ? nul + kWindow - head_.size()
                                           : std::min<size_t>(kMaxHole + kWindow - head_.size(), 64 << 10);
    const size_t old = head_.size();
    head_.resize(old + want);
    const long r = src_.read(head_.data() + old, want, error_);
    head_.resize(old + static_cast<size_t>(std::max<long>(r, 0)));
    if (r < 0) failed_ = true;
    if (r <= 0) {
      done_ = true;
      break;
    }
  }
}

long StreamHead::read(char* dst, size_t n, std::string& err) {
  if (pos_ < head_.size()) {
    const size_t k = std::min(n, head_.size() - pos_);
    std::memcpy(dst, head_.data() + pos_, k);
    pos_ += k;
    if (pos_ == head_.size()) {  // replayed: its memory is not needed any more
      std::string().swap(head_);
      pos_ = 0;
    }
    return static_cast<long>(k);
  }
  if (failed_) {
    err = error_;
    return -1;
  }
  if (done_) return 0;
  return src_.read(dst, n, err);
}

SourceInfo describe_source(const std::string& path, const ProxyKind* forced,
                           const AccessFormat* custom) {
  SourceInfo info;
  info.name = path;
  std::string_view base = path_basename(path);
  bool npm = false;
  // proxy-host-12_error.log, dead-host-3_access.log.1.gz, redirection-host-2_error.log
  for (std::string_view kind : {"proxy-host-", "dead-host-", "redirection-host-"}) {
    if (!starts_with(base, kind)) continue;
    size_t i = kind.size(), j = i;
    while (j < base.size() && base[j] >= '0' && base[j] <= '9') ++j;
    if (j > i && j < base.size() && base[j] == '_') {
      info.site = std::string(base.substr(0, j));
      npm = true;
    }
  }
  if (!npm && (starts_with(base, "fallback_") || starts_with(base, "default-host_") ||
               starts_with(base, "letsencrypt-requests_"))) {
    info.site = std::string(base.substr(0, base.find('_')));
    npm = true;
  }
  if (!npm && path.find("/data/logs/") != std::string::npos) npm = true;
  info.proxy = npm ? ProxyKind::npm : ProxyKind::nginx;
  if (forced) {
    info.proxy = *forced;
    info.forced = true;
    if (*forced != ProxyKind::npm) info.site.clear();
    return info;
  }
  // A regular file (plain or compressed) can be peeked at: its first lines
  // say which proxy wrote it. Pipes and stdin are not read twice; their lines
  // are still read in whatever format they are in.
  struct stat st;
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    std::string err;
    if (auto src = open_source(path, err)) {
      char head[16384];
      size_t n = 0;
      long r;
      while (n < sizeof head && (r = src->read(head + n, sizeof head - n, err)) > 0) n += static_cast<size_t>(r);
      refine_source(info, std::string_view(head, n), custom);
    }
  }
  return info;
}

void refine_source(SourceInfo& info, std::string_view head, const AccessFormat* custom) {
  unsigned lines = 0, recognised = 0;
  count_recognised(head, lines, recognised, custom);
  info.unrecognised = lines > 0 && recognised == 0;
  const size_t whole = head.rfind('\n');  // complete lines only
  info.error_log_head =
      whole != std::string_view::npos && chunk_shape(head.substr(0, whole + 1)) == ChunkShape::nginx_error;
  if (info.forced) return;
  ProxyKind p = detect_source_proxy(head, info.proxy);
  if (p != info.proxy && family_of(p) != family_of(info.proxy)) {
    info.proxy = p;
    info.site.clear();
  }
}

}  // namespace gw502
