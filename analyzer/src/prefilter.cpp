#include "prefilter.hpp"

#include <re2/re2.h>

#ifdef GW502_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

namespace gw502 {
namespace {

class Re2Prefilter final : public Prefilter {
 public:
  explicit Re2Prefilter(const std::vector<std::string>& literals) {
    std::string alternation;
    for (const auto& lit : literals) {
      if (!alternation.empty()) alternation += '|';
      alternation += RE2::QuoteMeta(lit);
    }
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_log_errors(false);
    o.set_max_mem(64 << 20);
    re_ = std::make_unique<RE2>(alternation, o);
  }
  bool ok(std::string& err) const {
    if (!re_->ok()) err = "prefilter: " + re_->error();
    return re_->ok();
  }
  size_t find(std::string_view buf, size_t from) override {
    if (from >= buf.size()) return std::string_view::npos;
    re2::StringPiece m;
    if (!re_->Match(re2::StringPiece(buf.data(), buf.size()), from, buf.size(), RE2::UNANCHORED, &m, 1))
      return std::string_view::npos;
    return static_cast<size_t>(m.data() - buf.data());
  }
  const char* name() const override { return "re2"; }

 private:
  std::unique_ptr<RE2> re_;
};

#ifdef GW502_HAVE_HYPERSCAN
class HyperscanPrefilter final : public Prefilter {
 public:
  ~HyperscanPrefilter() override {
    if (scratch_) hs_free_scratch(scratch_);
    if (db_) hs_free_database(db_);
  }
  bool compile(const std::vector<std::string>& literals, std::string& err) {
    std::vector<const char*> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> flags, ids;
    for (size_t i = 0; i < literals.size(); ++i) {
      exprs.push_back(literals[i].data());
      lens.push_back(literals[i].size());
      flags.push_back(HS_FLAG_SINGLEMATCH);
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* ce = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db_,
                             &ce) != HS_SUCCESS) {
      err = std::string("prefilter (hyperscan): ") + (ce && ce->message ? ce->message : "compile error");
      if (ce) hs_free_compile_error(ce);
      return false;
    }
    if (hs_alloc_scratch(db_, &scratch_) != HS_SUCCESS) {
      err = "prefilter (hyperscan): cannot allocate scratch";
      return false;
    }
    return true;
  }
  size_t find(std::string_view buf, size_t from) override {
    if (from >= buf.size()) return std::string_view::npos;
    unsigned long long end = 0;
    auto on_match = [](unsigned, unsigned long long, unsigned long long to, unsigned, void* ctx) -> int {
      *static_cast<unsigned long long*>(ctx) = to;
      return 1;  // the first hit is enough: stop
    };
    size_t len = buf.size() - from;
    // hs_scan takes an unsigned int length; chunks are far below 4 GiB.
    hs_error_t rc = hs_scan(db_, buf.data() + from, static_cast<unsigned>(len), 0, scratch_, on_match, &end);
    if (rc != HS_SCAN_TERMINATED) return std::string_view::npos;
    return from + static_cast<size_t>(end) - 1;  // the literal's last byte
  }
  const char* name() const override { return "hyperscan"; }

 private:
  hs_database_t* db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
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
