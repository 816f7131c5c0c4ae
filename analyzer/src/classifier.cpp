#include "classifier.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstring>
#include <functional>

namespace gw502 {

struct Classifier::Set {
  explicit Set(const RE2::Options& o) : set(o, RE2::UNANCHORED) {}
  RE2::Set set;
  std::vector<int> rule_of;  // set index -> rule index
  bool empty = true;
};

namespace {

RE2::Options options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

}  // namespace

Classifier::Classifier(const Catalogue& cat, PrefilterEngine engine) : cat_(cat) {
  const auto& rules = cat.rules();
  const RE2::Options opt = options();
  for (size_t i = 0; i < kLogFamilies * 2; ++i) sets_.push_back(std::make_unique<Set>(opt));
  std::vector<std::string> literals;
  bool every_rule_has_literal = true;
  for (size_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = rules[r];
    rules_.push_back(std::make_unique<RE2>(rule.regex, opt));
    for (size_t f = 0; f < kLogFamilies; ++f) {
      if (!(rule.families & (1u << f))) continue;
      Set& s = *sets_[f * 2 + (rule.access ? 1 : 0)];
      std::string e;
      if (s.set.Add(rule.regex, &e) < 0) {
        error_ = rule.origin + ": rule " + rule.id + ": bad regex: " + e;
        return;
      }
      s.rule_of.push_back(static_cast<int>(r));
      s.empty = false;
    }
    // Noise rules only matter on lines some cause rule matches, and such a
    // line holds that rule's literal: their own literals need not be sought.
    if (rule.ignore) continue;
    if (rule.literals.empty()) every_rule_has_literal = false;
    literals.insert(literals.end(), rule.literals.begin(), rule.literals.end());
  }
  for (auto& s : sets_)
    if (!s->empty && !s->set.Compile()) {
      error_ = "the catalogue is too large for RE2::Set";
      return;
    }
  if (every_rule_has_literal && !literals.empty()) {
    std::sort(literals.begin(), literals.end());
    literals.erase(std::unique(literals.begin(), literals.end()), literals.end());
    // A literal that contains another one adds nothing: wherever it occurs,
    // the shorter one does too. Fewer literals scan faster.
    std::vector<std::string> kept;
    for (const auto& l : literals) {
      bool redundant = false;
      for (const auto& other : literals)
        if (&other != &l && other.size() < l.size() && l.find(other) != std::string::npos) redundant = true;
      if (!redundant) kept.push_back(l);
    }
    literals.swap(kept);
    prefilter_ = Prefilter::build(literals, engine, error_);
  }
  hits_.reserve(rules.size());
  cache_.resize(kSlots);
}

const std::vector<size_t>& Classifier::candidates(std::string_view buf) {
  if (prefilter_) {
    prefilter_->candidates(buf, candidates_);
  } else {
    candidates_.clear();
    for (size_t pos = 0; pos < buf.size();) {
      candidates_.push_back(pos);
      const void* nl = std::memchr(buf.data() + pos, '\n', buf.size() - pos);
      if (!nl) break;
      pos = static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
    }
  }
  return candidates_;
}

Classifier::~Classifier() = default;

int Classifier::classify(LogFamily family, bool access, std::string_view text, int status) {
  if (!access && text.size() <= sizeof(Slot::text)) {
    const size_t h = std::hash<std::string_view>()(text);
    Slot& slot = cache_[h % kSlots];
    const auto fam = static_cast<uint8_t>(family);
    if (slot.hash == h && slot.family == fam && slot.len == text.size() &&
        std::memcmp(slot.text, text.data(), text.size()) == 0)
      return slot.rule;
    int rule = match(family, access, text, status);
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
  Set& s = *sets_[static_cast<size_t>(family) * 2 + (access ? 1 : 0)];
  if (s.empty) return -1;
  hits_.clear();
  RE2::Set::ErrorInfo info{};
  if (!s.set.Match(re2::StringPiece(text.data(), text.size()), &hits_, &info)) return -1;
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
  const RE2& re = *rules_[static_cast<size_t>(rule)];
  const auto& names = re.NamedCapturingGroups();
  auto it = names.find("upstream");
  if (it == names.end()) return {};
  re2::StringPiece groups[16];
  int n = std::min(it->second + 1, 16);
  if (it->second >= 16 ||
      !re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                groups, n))
    return {};
  const re2::StringPiece& g = groups[it->second];
  return std::string_view(g.data() ? g.data() : "", g.size());
}

}  // namespace gw502
