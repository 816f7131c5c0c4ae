#include "decode/json_line.hpp"

#include "decode/json_flat.hpp"

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace gw502 {

using simdjson::dom::element;
using simdjson::dom::object;

struct JsonLine::Impl {
  simdjson::dom::parser parser;
  std::vector<char> padded;
  object root;
  bool ok = false;
  std::string repaired;  // parse_cut's attempt

  // The root's members in order, read once per parse: a decoder asks for
  // ten to twenty keys of an entry, and at_key() walks the members anew each
  // time. Keys as at_key() compares them (unescaped); the first of equal keys
  // wins, as with at_key(). An object with more members is looked up in it.
  //
  // A flat line (json_flat.hpp: plain strings, numbers, literals) is read
  // into `flat` without simdjson; its members have no element.
  struct Member {
    std::string_view key;
    element value;
  };
  static constexpr size_t kIndexed = 48;
  Member members[kIndexed];
  FlatMember flat[kIndexed];
  size_t count = 0;
  bool all_indexed = false;
  bool is_flat = false;

  void index() {
    count = 0;
    all_indexed = true;
    for (auto field : root) {
      if (count == kIndexed) {
        all_indexed = false;  // looked up with at_key(), never by find()
        count = 0;
        chain();
        return;
      }
      members[count++] = {field.key, field.value};
    }
    chain();
  }

  // Members by a hash of their key's size and end bytes: chains of indices + 1
  // (0 ends one), built once per parse, so that each of the ten to twenty
  // lookups of a line, also of keys it lacks, tries one or two members.
  static constexpr size_t kHeads = 64;
  uint8_t head[kHeads];
  uint8_t next[kIndexed];

  static size_t bucket(std::string_view k) {
    if (k.empty()) return 0;
    return (k.size() * 7 + static_cast<unsigned char>(k.front()) * 3 + static_cast<unsigned char>(k.back())) %
           kHeads;
  }
  std::string_view key_at(size_t i) const { return is_flat ? flat[i].key : members[i].key; }
  void chain() {
    std::memset(head, 0, sizeof head);
    // Back to front, so that each chain lists equal keys first to last.
    for (size_t i = count; i-- > 0;) {
      uint8_t& h = head[bucket(key_at(i))];
      next[i] = h;
      h = static_cast<uint8_t>(i + 1);
    }
  }
  // The first member named key: its index in members or flat, or count.
  size_t find(std::string_view key) const {
    for (size_t at = head[bucket(key)]; at; at = next[at - 1])
      if (key_at(at - 1) == key) return at - 1;
    return count;
  }
  bool has(std::string_view key) const {
    element e;
    return ok && (is_flat ? find(key) < count : member(key, e));
  }
  bool member(std::string_view key, element& out) const {
    if (!ok || is_flat) return false;
    if (!all_indexed) return root.at_key(key).get(out) == simdjson::SUCCESS;
    const size_t i = find(key);
    if (i == count) return false;
    out = members[i].value;
    return true;
  }
  bool member(std::string_view obj, std::string_view key, element& out) const {
    element o;
    object oo;
    return member(obj, o) && o.get_object().get(oo) == simdjson::SUCCESS &&
           oo.at_key(key).get(out) == simdjson::SUCCESS;
  }
  const FlatMember* flat_member(std::string_view key, FlatMember::Kind kind) const {
    if (!ok || !is_flat) return nullptr;
    const size_t i = find(key);
    return i < count && flat[i].kind == kind ? &flat[i] : nullptr;
  }
  static std::string_view as_str(const element& e) {
    std::string_view v;
    return e.get_string().get(v) == simdjson::SUCCESS ? v : std::string_view();
  }
  static bool as_num(const element& e, double& out) {
    if (e.is_int64()) {
      out = static_cast<double>(int64_t(e.get_int64()));
      return true;
    }
    if (e.is_uint64()) {
      out = static_cast<double>(uint64_t(e.get_uint64()));
      return true;
    }
    return e.get_double().get(out) == simdjson::SUCCESS;
  }
};

JsonLine::JsonLine() : impl_(std::make_unique<Impl>()) {}
JsonLine::~JsonLine() = default;

bool JsonLine::parse(std::string_view text) {
  cut_ = false;
  Impl& m = *impl_;
  m.ok = false;
  const size_t need = text.size() + simdjson::SIMDJSON_PADDING;
  if (m.padded.size() < need) m.padded.resize(need);
  std::memcpy(m.padded.data(), text.data(), text.size());
  std::memset(m.padded.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  // Flat unless a '{' or '[' follows the first byte (Caddy's nested
  // entries go straight to simdjson, not through a reader that would stop
  // at their first object).
  m.is_flat = text.size() > 1 && !std::memchr(text.data() + 1, '{', text.size() - 1) &&
              !std::memchr(text.data() + 1, '[', text.size() - 1) &&
              read_flat_object(std::string_view(m.padded.data(), text.size()), m.flat, Impl::kIndexed, m.count);
  if (m.is_flat) {
    m.ok = true;
    m.all_indexed = true;
    m.chain();
    return true;
  }
  element doc;
  if (m.parser.parse(m.padded.data(), text.size(), false).get(doc) != simdjson::SUCCESS) return false;
  m.ok = doc.get_object().get(m.root) == simdjson::SUCCESS;
  if (m.ok) m.index();
  return m.ok;
}

bool JsonLine::has(std::string_view key) const { return impl_->has(key); }

std::string_view JsonLine::str(std::string_view key) const {
  if (impl_->is_flat) {
    const FlatMember* f = impl_->flat_member(key, FlatMember::Kind::string);
    return f ? f->text : std::string_view();
  }
  element e;
  return impl_->member(key, e) ? Impl::as_str(e) : std::string_view();
}

bool JsonLine::has(std::string_view obj, std::string_view key) const {
  element e;
  return impl_->member(obj, key, e);
}

std::string_view JsonLine::str(std::string_view obj, std::string_view key) const {
  element e;
  return impl_->member(obj, key, e) ? Impl::as_str(e) : std::string_view();
}

std::string_view JsonLine::first_str(std::string_view obj, std::string_view key) const {
  element e;
  simdjson::dom::array a;
  if (!impl_->member(obj, key, e) || e.get_array().get(a) != simdjson::SUCCESS) return {};
  for (element x : a) return Impl::as_str(x);
  return {};
}

bool JsonLine::num(std::string_view key, double& out) const {
  if (impl_->is_flat) {
    const FlatMember* f = impl_->flat_member(key, FlatMember::Kind::number);
    if (f) out = f->number;
    return f != nullptr;
  }
  element e;
  return impl_->member(key, e) && Impl::as_num(e, out);
}

bool JsonLine::num(std::string_view obj, std::string_view key, double& out) const {
  element e;
  return impl_->member(obj, key, e) && Impl::as_num(e, out);
}

namespace {
bool to_int(double v, int& out) {
  // -2147483649 < v < 2147483648 holds exactly for the doubles that truncate
  // into int's range; NaN fails both comparisons.
  if (!(v > -2147483649.0 && v < 2147483648.0)) return false;
  out = static_cast<int>(v);
  return true;
}
}  // namespace

bool JsonLine::int_num(std::string_view key, int& out) const {
  double v;
  return num(key, v) && to_int(v, out);
}

bool JsonLine::int_num(std::string_view obj, std::string_view key, int& out) const {
  double v;
  return num(obj, key, v) && to_int(v, out);
}

bool JsonLine::is_object(std::string_view key) const {
  element e;
  return impl_->member(key, e) && e.is_object();
}

bool JsonLine::object_text(std::string_view key, std::string& out) const {
  element e;
  if (!impl_->member(key, e) || !e.is_object()) return false;
  out = simdjson::to_string(e);
  return true;
}

}  // namespace gw502

namespace gw502 {

bool JsonLine::parse_cut(std::string_view text) {
  // Ends of whole members: a ',' outside strings, with the depth of objects
  // and arrays open there. Try the last few, closing what is open.
  struct Cut {
    size_t at;
    std::string closers;
  };
  Cut cuts[4];
  size_t ncuts = 0;
  std::string open;  // '{' or '[' per level
  bool in_str = false;
  // A paste with an elision where members were left out ("proto":"h2",
  // ... }): what comes before it is read as a line cut there.
  size_t end = text.size();
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_str) {
      if (c == '\\') ++i;
      else if (c == '"') in_str = false;
      continue;
    }
    if ((c == '.' && text.compare(i, 3, "...") == 0) || (c == '\xE2' && text.compare(i, 3, "\xE2\x80\xA6") == 0)) {
      end = i;
      break;
    }
    if (c == '"') in_str = true;
    else if (c == '{' || c == '[') open += c;
    else if ((c == '}' || c == ']') && !open.empty()) open.pop_back();
    else if (c == ',' && !open.empty() && open.size() <= 8) {
      Cut& k = cuts[ncuts++ % 4];
      k.at = i;
      k.closers.clear();
      for (size_t j = open.size(); j-- > 0;) k.closers += open[j] == '{' ? '}' : ']';
    }
  }
  // Cut right after a whole string or object ("msg":"..." and nothing
  // more): close what is open there first, and keep every member. Not after
  // a number or a literal, which may be cut short themselves ("status":50).
  std::string_view whole = text.substr(0, end);
  while (!whole.empty() && (whole.back() == ' ' || whole.back() == '\r')) whole.remove_suffix(1);
  const char last = whole.empty() ? 0 : whole.back();
  if (!in_str && !open.empty() && open.size() <= 8 && (last == '"' || last == '}' || last == ']')) {
    impl_->repaired.assign(whole);
    for (size_t j = open.size(); j-- > 0;) impl_->repaired += open[j] == '{' ? '}' : ']';
    if (parse(impl_->repaired)) {
      cut_ = true;
      return true;
    }
  }
  for (size_t n = 0; n < std::min<size_t>(ncuts, 4); ++n) {
    const Cut& k = cuts[(ncuts - 1 - n) % 4];
    impl_->repaired.assign(text.substr(0, k.at));
    impl_->repaired += k.closers;
    if (parse(impl_->repaired)) {  // parse() copies it into its padded buffer
      cut_ = true;
      return true;
    }
  }
  return false;
}

}  // namespace gw502
