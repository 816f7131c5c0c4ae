#include "catalogue/catalogue.hpp"

#include "catalogue/errno_table.hpp"

#include <re2/re2.h>
#include <simdjson.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gw502 {

namespace {


using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Error text for one entry: "FILE: rule ID: reason".
std::string where(const std::string& file, const char* kind, std::string_view id) {
  std::string s = file + ": ";
  if (!id.empty()) s += std::string(kind) + " " + std::string(id) + ": ";
  return s;
}

bool get_string(object o, const char* key, std::string& out, bool required, std::string& why) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) {
    if (required) why = std::string("missing \"") + key + "\"";
    return !required;
  }
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) {
    why = std::string("\"") + key + "\" must be a string";
    return false;
  }
  out.assign(v);
  return true;
}

// A string or an array of strings.
bool get_strings(object o, const char* key, std::vector<std::string>& out, std::string& why) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return true;
  std::string_view v;
  if (e.get_string().get(v) == simdjson::SUCCESS) {
    out.assign(1, std::string(v));
    return true;
  }
  array a;
  if (e.get_array().get(a) != simdjson::SUCCESS) {
    why = std::string("\"") + key + "\" must be a string or an array of strings";
    return false;
  }
  out.clear();
  for (element x : a) {
    if (x.get_string().get(v) != simdjson::SUCCESS) {
      why = std::string("\"") + key + "\" must hold strings only";
      return false;
    }
    out.emplace_back(v);
  }
  return true;
}

bool get_bool(object o, const char* key, bool& out, std::string& why) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return true;
  if (e.get_bool().get(out) != simdjson::SUCCESS) {
    why = std::string("\"") + key + "\" must be true or false";
    return false;
  }
  return true;
}

// An optional whole number in [lo, hi].
bool get_count(object o, const char* key, uint64_t lo, uint64_t hi, unsigned& out, std::string& why) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return true;
  uint64_t v = 0;
  if (e.get_uint64().get(v) != simdjson::SUCCESS || v < lo || v > hi) {
    why = std::string("\"") + key + "\" must be a whole number from " + std::to_string(lo) + " to " +
          std::to_string(hi);
    return false;
  }
  out = static_cast<unsigned>(v);
  return true;
}

bool parse_cause(object o, Cause& c, std::string& why) {
  if (!get_string(o, "id", c.id, true, why)) return false;
  for (char ch : c.id)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) {
      why = "cause id must be [a-z0-9_]+";
      return false;
    }
  if (!get_string(o, "family", c.family, false, why) || !get_string(o, "title", c.title, true, why) ||
      !get_string(o, "explain", c.explain, false, why) || !get_strings(o, "likely", c.likely, why))
    return false;
  if (c.family.empty()) c.family = c.id;
  if (!get_bool(o, "counts_as_failure", c.counts_as_failure, why) || !get_bool(o, "served", c.served, why) ||
      !get_count(o, "samples", 1, 64, c.samples, why))
    return false;
  element fix;
  if (o["fix"].get(fix) == simdjson::SUCCESS) {
    object fo;
    if (fix.get_object().get(fo) != simdjson::SUCCESS) {
      why = "\"fix\" must be an object";
      return false;
    }
    for (size_t p = 0; p < kProxyKinds; ++p)
      if (!get_strings(fo, proxy_name(static_cast<ProxyKind>(p)), c.fix[p], why)) return false;
  }
  return true;
}

bool parse_hint(object o, Hint& h, std::string& why) {
  if (!get_string(o, "id", h.id, true, why)) return false;
  object t;
  if (o["text"].get_object().get(t) != simdjson::SUCCESS) {
    why = "\"text\" must be an object";
    return false;
  }
  for (size_t p = 0; p < kProxyKinds; ++p)
    if (!get_string(t, proxy_name(static_cast<ProxyKind>(p)), h.text[p], false, why)) return false;
  std::string when;
  if (!get_string(o, "when", when, false, why) || !get_strings(o, "applies_to", h.applies_to, why) ||
      !get_count(o, "min_count", 1, 1u << 30, h.min_count, why))
    return false;
  static const std::pair<const char*, HintWhen> kWhen[] = {
      {"loopback", HintWhen::loopback}, {"docker_host", HintWhen::docker_host},
      {"steady", HintWhen::steady}, {"bursts", HintWhen::bursts},
      {"address_changed", HintWhen::address_changed}};
  if (!when.empty()) {
    for (auto& w : kWhen)
      if (when == w.first) h.when = w.second;
    if (h.when == HintWhen::never) {
      why = "\"when\" must be one of loopback, docker_host, steady, bursts, address_changed";
      return false;
    }
  }
  return true;
}

// check_regex: compile the regex to name its error here. The built-in
// catalogue's regexes are compiled by its tests (and by the classifier);
// compiling them all again at every start-up took 8 ms.
bool parse_rule(object o, Rule& r, bool check_regex, std::string& why) {
  if (!get_string(o, "id", r.id, true, why)) return false;
  element e;
  if (o["ignore"].get(e) == simdjson::SUCCESS && e.get_bool().get(r.ignore) != simdjson::SUCCESS) {
    why = "\"ignore\" must be true or false";
    return false;
  }
  if (!get_string(o, "cause", r.cause_id, !r.ignore, why)) return false;
  if (r.ignore && !r.cause_id.empty()) {
    why = "a rule has either \"cause\" or \"ignore\", not both";
    return false;
  }
  std::vector<std::string> proxies;
  if (!get_strings(o, "proxies", proxies, why)) return false;
  if (proxies.empty()) proxies = {"nginx"};
  for (auto& p : proxies) {
    ProxyKind k;
    if (!parse_proxy(p, k)) {
      why = "unknown proxy \"" + p + "\"";
      return false;
    }
    r.families |= static_cast<uint8_t>(1u << static_cast<unsigned>(family_of(k)));
  }
  std::string log = "error";
  if (!get_string(o, "log", log, false, why)) return false;
  if (log != "error" && log != "access") {
    why = "\"log\" must be \"error\" or \"access\"";
    return false;
  }
  r.access = log == "access";
  if (!get_bool(o, "pair_only", r.pair_only, why)) return false;
  if (r.pair_only && !r.access) {
    why = "\"pair_only\" rules are access rules";
    return false;
  }
  if (!get_string(o, "regex", r.regex, true, why) || !get_strings(o, "literal", r.literals, why))
    return false;
  for (auto& l : r.literals)
    if (l.empty()) {
      why = "empty literal";
      return false;
    }
  if (o["status"].get(e) == simdjson::SUCCESS) {
    array a;
    if (e.get_array().get(a) != simdjson::SUCCESS) {
      why = "\"status\" must be an array of numbers";
      return false;
    }
    for (element x : a) {
      int64_t v;
      if (x.get_int64().get(v) != simdjson::SUCCESS || v < 100 || v > 999) {
        why = "\"status\" must hold HTTP status codes";
        return false;
      }
      r.status.push_back(static_cast<int>(v));
    }
  }
  if (!check_regex) return true;
  RE2::Options opt;
  opt.set_encoding(RE2::Options::EncodingLatin1);
  opt.set_log_errors(false);
  RE2 re(r.regex, opt);
  if (!re.ok()) {
    why = "bad regex: " + re.error();
    return false;
  }
  return true;
}

template <class T>
int find_by_id(const std::vector<T>& v, std::string_view id) {
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i].id == id) return static_cast<int>(i);
  return -1;
}

}  // namespace


int Catalogue::find_cause(std::string_view id) const { return find_by_id(causes_, id); }
int Catalogue::find_rule(std::string_view id) const { return find_by_id(rules_, id); }
const Hint* Catalogue::find_hint(std::string_view id) const {
  int i = find_by_id(hints_, id);
  return i < 0 ? nullptr : &hints_[static_cast<size_t>(i)];
}

bool Catalogue::add_json(const std::string& name, std::string_view json, bool user,
                         std::string& err) {
  if (user) user_files_ = true;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element doc;
  if (auto e = parser.parse(padded).get(doc)) {
    err = name + ": invalid JSON (" + simdjson::error_message(e) + ")";
    return false;
  }
  object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) {
    err = name + ": the catalogue must be a JSON object";
    return false;
  }
  for (auto field : root) {
    if (field.key != "causes" && field.key != "rules" && field.key != "hints" &&
        field.key != "errno" && field.key != "phases" && field.key != "comment") {
      err = name + ": unknown key \"" + std::string(field.key) + "\"";
      return false;
    }
  }
  if (!errno_->add(root, name, err)) return false;
  std::string why;
  array a;
  if (root["causes"].get_array().get(a) == simdjson::SUCCESS) {
    for (element x : a) {
      Cause c;
      object o;
      if (x.get_object().get(o) != simdjson::SUCCESS || !parse_cause(o, c, why)) {
        if (why.empty()) why = "each cause must be an object";
        err = where(name, "cause", c.id) + why;
        return false;
      }
      int at = find_cause(c.id);
      if (at >= 0 && !user) {
        err = where(name, "cause", c.id) + "duplicate cause id";
        return false;
      }
      if (at >= 0)
        causes_[static_cast<size_t>(at)] = std::move(c);
      else
        causes_.push_back(std::move(c));
    }
  }
  if (root["hints"].get_array().get(a) == simdjson::SUCCESS) {
    for (element x : a) {
      Hint h;
      object o;
      if (x.get_object().get(o) != simdjson::SUCCESS || !parse_hint(o, h, why)) {
        if (why.empty()) why = "each hint must be an object";
        err = where(name, "hint", h.id) + why;
        return false;
      }
      int at = find_by_id(hints_, h.id);
      if (at >= 0)
        hints_[static_cast<size_t>(at)] = std::move(h);
      else
        hints_.push_back(std::move(h));
    }
  }
  if (root["rules"].get_array().get(a) == simdjson::SUCCESS) {
    std::vector<std::string> seen;
    for (element x : a) {
      Rule r;
      object o;
      r.origin = name;
      if (x.get_object().get(o) != simdjson::SUCCESS || !parse_rule(o, r, user, why)) {
        if (why.empty()) why = "each rule must be an object";
        err = where(name, "rule", r.id) + why;
        return false;
      }
      for (auto& s : seen)
        if (s == r.id) {
          err = where(name, "rule", r.id) + "duplicate rule id";
          return false;
        }
      seen.push_back(r.id);
      int at = find_rule(r.id);
      if (at >= 0 && !user) {
        err = where(name, "rule", r.id) + "duplicate rule id (also in " +
              rules_[static_cast<size_t>(at)].origin + ")";
        return false;
      }
      if (at >= 0) {
        rules_[static_cast<size_t>(at)] = std::move(r);
      } else if (user) {
        rules_.insert(rules_.begin() + static_cast<long>(user_rules_++), std::move(r));
      } else {
        rules_.push_back(std::move(r));
      }
    }
  }
  return true;
}

Catalogue::Catalogue() : errno_(std::make_unique<ErrnoTable>()) {}
Catalogue::~Catalogue() = default;
Catalogue::Catalogue(const Catalogue& o)
    : causes_(o.causes_), hints_(o.hints_), rules_(o.rules_), user_rules_(o.user_rules_), user_files_(o.user_files_),
      unclassified_(o.unclassified_), errno_(std::make_unique<ErrnoTable>(*o.errno_)) {}
Catalogue& Catalogue::operator=(const Catalogue& o) {
  if (this != &o) *this = Catalogue(o);
  return *this;
}
Catalogue::Catalogue(Catalogue&&) noexcept = default;
Catalogue& Catalogue::operator=(Catalogue&&) noexcept = default;

bool Catalogue::finish(std::string& err) {
  // Priority: user rules, the built-in rules, the rules of the errno table,
  // then the built-in catch-alls (cause "unclassified").
  std::vector<Rule> generated;
  if (!errno_->rules(generated, err)) return false;
  for (auto& r : generated) {
    if (!user_files_) break;  // the built-in errno table's: see parse_rule()
    RE2::Options opt;
    opt.set_encoding(RE2::Options::EncodingLatin1);
    opt.set_log_errors(false);
    if (!RE2(r.regex, opt).ok()) {
      err = where(r.origin, "rule", r.id) + "bad regex generated from the errno table";
      return false;
    }
  }
  *errno_ = ErrnoTable();  // turned into rules once
  auto catch_all = std::stable_partition(rules_.begin() + static_cast<long>(user_rules_), rules_.end(),
                                         [](const Rule& r) { return r.cause_id != "unclassified"; });
  rules_.insert(catch_all, std::make_move_iterator(generated.begin()),
                std::make_move_iterator(generated.end()));
  for (auto& r : rules_) {
    if (r.ignore) continue;
    r.cause = find_cause(r.cause_id);
    if (r.cause < 0) {
      err = where(r.origin, "rule", r.id) + "unknown cause \"" + r.cause_id + "\"";
      return false;
    }
  }
  for (auto& h : hints_)
    for (auto& a : h.applies_to) {
      bool known = false;
      for (auto& c : causes_) known = known || c.id == a || c.family == a;
      if (!known) {
        err = where("catalogue", "hint", h.id) + "\"applies_to\" names no cause: \"" + a + "\"";
        return false;
      }
    }
  unclassified_ = find_cause("unclassified");
  return true;
}

// A user's catalogue file (D4): a regular file of at most kMaxCatalogueFile
// bytes. Opened without blocking, so that a FIFO with no writer is refused
// instead of waited on, and read with a cap, so that /dev/zero or a file that
// grows while it is read cannot take all memory.
bool read_catalogue_file(const std::string& path, std::string& text, std::string& err) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    err = path + ": cannot read the catalogue file (" + std::strerror(errno) + ")";
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    err = path + ": is a directory, not a catalogue file";
    return false;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    err = path + ": cannot read the catalogue file (" + std::strerror(errno) + ")";
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    err = path + ": not a regular file; a catalogue file must be one";
    return false;
  }
  const std::string too_big = path + ": catalogue file larger than " +
                              std::to_string(kMaxCatalogueFile >> 20) + " MiB; not read";
  if (static_cast<uint64_t>(st.st_size) > kMaxCatalogueFile) {
    err = too_big;
    return false;
  }
  text.resize(static_cast<size_t>(st.st_size) + 1);
  size_t n = 0;
  for (;;) {
    if (n == text.size()) {
      if (n > kMaxCatalogueFile) {
        err = too_big;
        return false;
      }
      text.resize(std::min<size_t>(n * 2 + 4096, kMaxCatalogueFile + 1));
    }
    ssize_t r = ::read(fd, &text[n], text.size() - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      err = path + ": cannot read the catalogue file (" + std::strerror(errno) + ")";
      return false;
    }
    if (r == 0) break;
    n += static_cast<size_t>(r);
  }
  if (n > kMaxCatalogueFile) {
    err = too_big;
    return false;
  }
  text.resize(n);
  return true;
}

bool Catalogue::load(const std::vector<std::string>& user_files, std::string& err,
                     const std::vector<EmbeddedFile>& generated) {
  for (size_t i = 0; i < kEmbeddedCatalogueCount; ++i)
    if (!add_json(kEmbeddedCatalogue[i].name, kEmbeddedCatalogue[i].text, false, err)) return false;
  for (const EmbeddedFile& g : generated)
    if (!add_json(g.name, g.text, false, err)) return false;
  for (auto& path : user_files) {
    std::string text;
    if (!read_catalogue_file(path, text, err)) return false;
    if (!add_json(path, text, true, err)) return false;  // empty: "invalid JSON"
  }
  return finish(err);
}

}  // namespace gw502
