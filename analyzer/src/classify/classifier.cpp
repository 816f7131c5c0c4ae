#include "classify/classifier.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <mutex>

#include "base/hash.hpp"
#include "decode/format_detect.hpp"

namespace gw502 {

// One family's rules of one kind (error/access), matched at once. Built on
// first use, once for all threads: a log of one proxy never needs the
// others' sets (building all six was a third of the start-up). The regexes
// are added (parsed) then too. A user's regexes were compiled when the
// catalogue was loaded; the shipped ones are by the tests (test_classifier).
struct Classifier::Set {
  explicit Set(const RE2::Options& o) : set(o, RE2::UNANCHORED) {}
  RE2::Set set;
  std::vector<const Rule*> rules;  // in set index order
  std::vector<int> rule_of;        // set index -> rule index
  bool empty = true;
  std::once_flag once;
  bool compiled = false;  // every regex added and Compile() succeeded
  std::string error;      // why not
  bool ready() {
    std::call_once(once, [this] {
      for (const Rule* r : rules) {
        std::string e;
        if (set.Add(r->regex, &e) < 0) {
          error = r->origin + ": rule " + r->id + ": bad regex: " + e;
          return;
        }
      }
      compiled = set.Compile();
    });
    return compiled;
  }
};

struct Classifier::Lazy {
  std::vector<std::string> literals;
  PrefilterEngine engine;
  std::once_flag once;
  std::unique_ptr<Prefilter> built;  // the clones' original
  std::string error;
};

struct Classifier::Compiled {
  // A rule's own regex, for its "upstream" group on lines it matched:
  // compiled on first use (most rules never match a given log; compiling
  // all ~150 took a third of the start-up), once for all threads.
  struct Regex {
    const std::string* source = nullptr;  // the catalogue's
    mutable std::once_flag once;
    mutable std::unique_ptr<re2::RE2> re;
    mutable int upstream = -1;  // the index of its group named "upstream", or -1
    const re2::RE2& get(const RE2::Options& o) const {
      std::call_once(once, [&] {
        re = std::make_unique<re2::RE2>(*source, o);
        // Looked up once, not per line (a map of names, searched by string).
        const auto& names = re->NamedCapturingGroups();
        const auto it = names.find("upstream");
        if (it != names.end()) upstream = it->second;
      });
      return *re;
    }
  };
  std::vector<std::unique_ptr<Set>> sets;  // kLogFamilies * 2
  std::vector<std::unique_ptr<Regex>> rules;
  RE2::Options options;
};

namespace {


// A rule whose regex matches every text: what a family's catch-all
// ("unclassified") rule looks like.
bool matches_everything(const Rule& r) {
  return r.regex.empty() || r.regex == "^" || r.regex == ".*" || r.regex == "^.*" ||
         r.regex == "(?s).*" || r.regex == "^(?s).*";
}

// Families whose every line of this kind (error/access) some non-noise rule
// matches whatever it says, and whose lines therefore all hold one of that
// rule's literals (the catch-all's literals are, by its definition, what
// every line the decoders hand over holds). Index: access ? 1 : 0.
void caught_families(const std::vector<Rule>& rules, unsigned caught[2]) {
  caught[0] = caught[1] = 0;
  for (const Rule& r : rules)
    if (!r.ignore && !r.literals.empty() && matches_everything(r) && r.status.empty())
      caught[r.access ? 1 : 0] |= r.families;
}

// The literals the prefilter must seek so that no line of the families in
// `families` that some cause rule matches is missed; false when a rule that
// matters has none (then every line is a candidate). Sorted, distinct, and
// without a literal that contains another (wherever it occurs, the shorter
// one does too; fewer literals scan faster).
bool literals_for(const std::vector<Rule>& rules, const unsigned caught[2], unsigned families,
                  bool with_access, std::vector<std::string>& out) {
  out.clear();
  for (const Rule& rule : rules) {
    if (rule.access && !with_access) continue;
    // Noise rules only matter on lines some cause rule matches, and such a
    // line holds that rule's literal: their own literals need not be sought.
    if (rule.ignore || rule.pair_only || !(rule.families & families)) continue;
    // Nor do those of a rule whose families all have a catch-all rule: a
    // line it matches holds one of the catch-all's literals already. (Go
    // error texts like "EOF" or "timed out" are everywhere in other logs.)
    if (!matches_everything(rule) && (rule.families & families & ~caught[rule.access ? 1 : 0]) == 0)
      continue;
    if (rule.literals.empty()) return false;
    out.insert(out.end(), rule.literals.begin(), rule.literals.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  std::vector<std::string> kept;
  for (const auto& l : out) {
    bool redundant = false;
    for (const auto& other : out)
      if (&other != &l && other.size() < l.size() && l.find(other) != std::string::npos) redundant = true;
    if (!redundant) kept.push_back(l);
  }
  out.swap(kept);
  return !out.empty();
}

RE2::Options options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

}  // namespace

Classifier::Classifier(const Catalogue& cat, PrefilterEngine engine) : cat_(cat), engine_(engine) {
  const auto& rules = cat.rules();
  const RE2::Options opt = options();
  auto c = std::make_shared<Compiled>();
  c->options = opt;
  for (size_t i = 0; i < kLogFamilies * 2; ++i) c->sets.push_back(std::make_unique<Set>(opt));
  for (size_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = rules[r];
    c->rules.push_back(std::make_unique<Compiled::Regex>());
    c->rules.back()->source = &rule.regex;
    if (rule.pair_only) continue;  // never a match of its own
    for (size_t f = 0; f < kLogFamilies; ++f) {
      if (!(rule.families & (1u << f))) continue;
      Set& s = *c->sets[f * 2 + (rule.access ? 1 : 0)];
      s.rules.push_back(&rule);
      s.rule_of.push_back(static_cast<int>(r));
      s.empty = false;
    }
  }
  compiled_ = std::move(c);
  build_prefilters(engine);
}

void Classifier::prepare(LogFamily family) {
  if (!error_.empty()) return;
  for (size_t kind = 0; kind < 2; ++kind) {
    Set& s = *compiled_->sets[static_cast<size_t>(family) * 2 + kind];
    if (!s.empty) s.ready();
  }
}

bool Classifier::build_all() {
  if (!error_.empty()) return false;
  for (auto& s : compiled_->sets)
    if (!s->empty && !s->ready()) {
      error_ = s->error.empty() ? "the catalogue is too large for RE2::Set" : s->error;
      return false;
    }
  lazy(json_, json_prefilter_);
  lazy(nginx_, nginx_prefilter_);
  general();
  return error_.empty();
}

Classifier::Classifier(const Classifier& first, Share)
    : cat_(first.cat_), engine_(first.engine_), error_(first.error_), compiled_(first.compiled_),
      general_(first.general_), json_(first.json_), nginx_(first.nginx_) {
  if (!error_.empty()) return;
  hits_.reserve(cat_.rules().size());
  cache_.resize(kSlots);
}

void Classifier::build_prefilters(PrefilterEngine engine) {
  const auto& rules = cat_.rules();
  unsigned caught[2];
  caught_families(rules, caught);
  std::vector<std::string> literals;
  auto lazy_set = [engine](std::vector<std::string> lits) {
    auto l = std::make_shared<Lazy>();
    l->literals = std::move(lits);
    l->engine = engine;
    return l;
  };
  if (engine != PrefilterEngine::every_line && literals_for(rules, caught, kAllFamilies, true, literals)) {
    general_ = lazy_set(literals);
    // A chunk of the proxies' own JSON lines reaches only the Go proxies'
    // decoders (a collector's record around a line makes its chunk mixed:
    // prefilter/chunk_shape).
    constexpr unsigned kGo = family_bit(LogFamily::caddy) | family_bit(LogFamily::traefik);
    if (literals_for(rules, caught, kGo, true, literals)) json_ = lazy_set(literals);
    // nginx's error-log lines reach only nginx's error-log rules.
    if (literals_for(rules, caught, family_bit(LogFamily::nginx), false, literals)) nginx_ = lazy_set(literals);
  }
  hits_.reserve(rules.size());
  cache_.resize(kSlots);
}

const char* Classifier::prefilter_name() const {
  if (!general_) return "none";
  const bool hs = general_->engine != PrefilterEngine::re2 && Prefilter::hyperscan_available();
  return hs ? "hyperscan" : "re2";  // what Prefilter::build picks
}

Prefilter* Classifier::lazy(std::shared_ptr<Lazy>& shared, std::unique_ptr<Prefilter>& mine) {
  if (mine || !shared) return mine.get();
  Lazy& l = *shared;
  std::call_once(l.once, [&l] { l.built = Prefilter::build(l.literals, l.engine, l.error); });
  if (l.built) mine = l.built->clone();
  if (!mine) shared.reset();  // this classifier asks no more (another may still have its clone)
  return mine.get();
}

Prefilter* Classifier::general() {
  if (prefilter_ || !general_) return prefilter_.get();
  const std::shared_ptr<Lazy> g = general_;
  if (!lazy(general_, prefilter_)) {
    // Only a catalogue whose whole literal set does not compile (or no
    // memory for scratch): then every line is a candidate.
    error_ = !g->error.empty() ? g->error : "prefilter: cannot allocate a thread's scratch";
  }
  return prefilter_.get();
}

const std::vector<size_t>& Classifier::candidates(std::string_view buf) {
  return candidates(buf, json_ || nginx_ ? chunk_shape(buf) : ChunkShape::mixed);
}

const std::vector<size_t>& Classifier::candidates(std::string_view buf, ChunkShape shape) {
  Prefilter* p = nullptr;
  if (general_) {
    // logrus text reaches only the Go decoders too.
    if (shape == ChunkShape::json || shape == ChunkShape::logfmt) p = lazy(json_, json_prefilter_);
    else if (shape == ChunkShape::nginx_error) p = lazy(nginx_, nginx_prefilter_);
    if (!p) p = general();
  }
  if (p) {
    p->candidates(buf, candidates_);
  } else {
    candidates_.clear();
    for (size_t pos = 0; pos < buf.size();) {
      const void* nl = std::memchr(buf.data() + pos, '\n', buf.size() - pos);
      const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) : buf.size();
      candidates_.push_back(end);
      pos = end + 1;
    }
  }
  return candidates_;
}

bool Classifier::json_candidate(std::string_view line) {
  if (!general_ || !json_) return true;
  Prefilter* p = lazy(json_, json_prefilter_);
  if (!p) p = general();
  if (!p) return true;
  p->candidates(line, line_candidates_);
  return !line_candidates_.empty();
}

Classifier::~Classifier() = default;

int Classifier::classify(LogFamily family, bool access, std::string_view text, int status) {
  if (!access && text.size() <= sizeof(Slot::text)) {
    const size_t h = mix64(hash_str(0, text));
    Slot& slot = cache_[h % kSlots];
    const auto fam = static_cast<uint8_t>(family);
    if (slot.hash == h && slot.family == fam && slot.len == text.size() &&
        std::memcmp(slot.text, text.data(), text.size()) == 0)
      return slot.rule;
    int rule = match(family, access, text, status);
    if (rule == kMatchError) return rule;  // not cached: the next try may succeed
    slot.hash = h;
    slot.family = fam;
    slot.len = static_cast<uint16_t>(text.size());
    slot.rule = rule;
    std::memcpy(slot.text, text.data(), text.size());
    return rule;
  }
  return match(family, access, text, status);
}

int Classifier::match(LogFamily family, bool access, std::string_view text, int status) {
  Set& s = *compiled_->sets[static_cast<size_t>(family) * 2 + (access ? 1 : 0)];
  if (s.empty) return -1;
  if (!s.ready()) return kMatchError;  // a bad regex, or over RE2's memory budget: counted as a match error
  hits_.clear();
  RE2::Set::ErrorInfo info{};
  if (!s.set.Match(re2::StringPiece(text.data(), text.size()), &hits_, &info))
    return info.kind == RE2::Set::kNoError ? kNoRule : kMatchError;
  int best = -1;
  for (int h : hits_) {
    int r = s.rule_of[static_cast<size_t>(h)];
    const Rule& rule = cat_.rules()[static_cast<size_t>(r)];
    if (access && !rule.status.empty() &&
        std::find(rule.status.begin(), rule.status.end(), status) == rule.status.end())
      continue;
    if (best < 0 || r < best) best = r;
  }
  return best;
}

std::string_view Classifier::capture_upstream(int rule, std::string_view text) {
  const Compiled::Regex& r = *compiled_->rules[static_cast<size_t>(rule)];
  const RE2& re = r.get(compiled_->options);
  const int group = r.upstream;
  if (group < 0 || group >= 16) return {};
  re2::StringPiece groups[16];
  if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED, groups, group + 1))
    return {};
  const re2::StringPiece& g = groups[group];
  return std::string_view(g.data() ? g.data() : "", g.size());
}

}  // namespace gw502
