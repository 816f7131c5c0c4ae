#include "prefilter/prefilter.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>
#include <memory>

#ifdef GW502_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

namespace gw502 {
namespace {

class Re2Prefilter final : public Prefilter {
 public:
  Re2Prefilter(const Re2Prefilter&) = default;
  explicit Re2Prefilter(const std::vector<std::string>& literals)
      : literals_(std::make_shared<const std::vector<std::string>>(literals)) {
    std::string alternation;
    for (const auto& lit : literals) {
      if (!alternation.empty()) alternation += '|';
      alternation += RE2::QuoteMeta(lit);
    }
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_log_errors(false);
    o.set_max_mem(64 << 20);
    re_ = std::make_shared<const RE2>(alternation, o);
  }
  std::unique_ptr<Prefilter> clone() const override {
    return std::make_unique<Re2Prefilter>(*this);
  }
  bool ok(std::string& err) const {
    if (!re_->ok()) err = "prefilter: " + re_->error();
    return re_->ok();
  }
  void candidates(std::string_view buf, std::vector<size_t>& hits) override {
    hits.clear();
    for (size_t pos = find(buf, 0); pos != std::string_view::npos;) {
      const void* nl = std::memchr(buf.data() + pos, '\n', buf.size() - pos);
      size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) : buf.size();
      hits.push_back(end);
      if (!nl) break;
      pos = find(buf, end + 1);
    }
  }
  const char* name() const override { return "re2"; }

 private:
  // Offset of the first literal hit at or after `from`, or npos.
  size_t find(std::string_view buf, size_t from) const {
    if (from >= buf.size()) return std::string_view::npos;
    re2::StringPiece m;
    if (!re_->Match(re2::StringPiece(buf.data(), buf.size()), from, buf.size(), RE2::UNANCHORED, &m, 1))
      return std::string_view::npos;
    return static_cast<size_t>(m.data() - buf.data());
  }

  std::shared_ptr<const std::vector<std::string>> literals_;
  std::shared_ptr<const RE2> re_;
};

#ifdef GW502_HAVE_HYPERSCAN
class HyperscanPrefilter final : public Prefilter {
 public:
  ~HyperscanPrefilter() override {
    if (scratch_) hs_free_scratch(scratch_);
  }
  std::unique_ptr<Prefilter> clone() const override {
    auto p = std::make_unique<HyperscanPrefilter>();
    p->db_ = db_;
    if (hs_clone_scratch(scratch_, &p->scratch_) != HS_SUCCESS) return nullptr;
    return p;
  }
  bool compile(const std::vector<std::string>& literals, std::string& err) {
    std::vector<const char*> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> flags, ids;
    for (size_t i = 0; i < literals.size(); ++i) {
      exprs.push_back(literals[i].data());
      lens.push_back(literals[i].size());
      flags.push_back(0);
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* ce = nullptr;
    hs_database_t* db = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                             &ce) != HS_SUCCESS) {
      err = std::string("prefilter (hyperscan): ") + (ce && ce->message ? ce->message : "compile error");
      if (ce) hs_free_compile_error(ce);
      return false;
    }
    db_.reset(db, hs_free_database);
    if (hs_alloc_scratch(db_.get(), &scratch_) != HS_SUCCESS) {
      err = "prefilter (hyperscan): cannot allocate scratch";
      return false;
    }
    return true;
  }

  void candidates(std::string_view buf, std::vector<size_t>& hits) override {
    hits.clear();
    // The first hit of a line takes the line; the scan then stops and starts
    // again at the next line, so the line's other hits (an nginx line names
    // "upstream" two or three times) are never sought. A new scan costs a few
    // nanoseconds; the skipped matches were a quarter of the scan on nginx's
    // error logs (bench/: multisite nginx, 128 MB: 76 -> 54 ms). A hit near
    // its line's end lets the scan go on instead (see the callback).
    // Both rely on a literal database reporting hits by increasing end
    // offset, as Hyperscan's literal matchers do in block mode (its manual
    // does not promise an order in general).
    struct Ctx {
      const char* base;
      size_t size;
      size_t offset;  // where the running scan started
      size_t next;    // start of the line after the last one taken
      std::vector<size_t>* hits;
    } ctx{buf.data(), buf.size(), 0, 0, &hits};
    auto each = [](unsigned, unsigned long long, unsigned long long to, unsigned, void* p) -> int {
      auto& c = *static_cast<Ctx*>(p);
      const size_t at = c.offset + static_cast<size_t>(to) - 1;
      if (at < c.next) return 0;  // another hit of a line taken (the scan went on)
      const void* nl = std::memchr(c.base + at, '\n', c.size - at);
      const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - c.base) : c.size;
      c.hits->push_back(end);
      c.next = end + 1;
      // Stop: the caller starts a new scan at the next line. Unless the hit
      // lies within kGoOn bytes of its line's end (Traefik's "502 Bad
      // Gateway"} closes its entries): a new scan costs more than reading
      // on through them (Traefik v3 16 MB cut: -4 % instructions; no other
      // bench log changed by 0.1 %).
      return end - at < kGoOn ? 0 : 1;
    };
    // hs_scan takes an unsigned length: pieces end after a newline, so no
    // literal (they hold no newline) straddles two pieces.
    while (ctx.next < buf.size()) {
      ctx.offset = ctx.next;
      size_t len = std::min<size_t>(buf.size() - ctx.offset, kMaxScan);
      if (ctx.offset + len < buf.size()) {
        const void* nl = memrchr(buf.data() + ctx.offset, '\n', len);
        if (nl) len = static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) + 1 - ctx.offset;
      }
      const hs_error_t r =
          hs_scan(db_.get(), buf.data() + ctx.offset, static_cast<unsigned>(len), 0, scratch_, each, &ctx);
      // Not stopped: no hit in the piece, or only ones the scan went on after.
      if (r != HS_SCAN_TERMINATED) ctx.next = std::max(ctx.next, ctx.offset + len);
    }
  }
  const char* name() const override { return "hyperscan"; }

 private:
  static constexpr size_t kMaxScan = size_t{1} << 30;
  static constexpr size_t kGoOn = 32;
  std::shared_ptr<hs_database_t> db_;  // shared by clones (read-only while scanning)
  hs_scratch_t* scratch_ = nullptr;    // per clone
};
#endif

}  // namespace

bool Prefilter::hyperscan_available() {
#ifdef GW502_HAVE_HYPERSCAN
  return hs_valid_platform() == HS_SUCCESS;
#else
  return false;
#endif
}

std::unique_ptr<Prefilter> Prefilter::build(const std::vector<std::string>& literals,
                                            PrefilterEngine engine, std::string& err) {
#ifdef GW502_HAVE_HYPERSCAN
  if (engine != PrefilterEngine::re2 && hyperscan_available()) {
    auto hs = std::make_unique<HyperscanPrefilter>();
    if (hs->compile(literals, err)) return hs;
    return nullptr;
  }
#endif
  if (engine == PrefilterEngine::hyperscan) {
    err = "prefilter: this build has no Hyperscan";
    return nullptr;
  }
  auto re = std::make_unique<Re2Prefilter>(literals);
  if (!re->ok(err)) return nullptr;
  return re;
}

}  // namespace gw502
