#include "decode/json_flat.hpp"

#include "base/find_quote.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>

namespace gw502 {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && space(s[i])) ++i;
}

// A string without escapes, control characters or bytes >= 0x80 (left to
// the full parser, which validates UTF-8). i is at the opening quote.
bool plain_string(std::string_view s, size_t& i, std::string_view& out) {
  const size_t from = i + 1;
  const size_t end = find_plain_string_end(s, from);
  if (end >= s.size() || s[end] != '"') return false;
  out = s.substr(from, end - from);
  i = end + 1;
  return true;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool number_token(std::string_view s, size_t& i) {
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || !digit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < s.size() && digit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !digit(s[i])) return false;
    while (i < s.size() && digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !digit(s[i])) return false;
    while (i < s.size() && digit(s[i])) ++i;
  }
  return true;
}

bool value(std::string_view s, size_t& i, FlatMember& m) {
  if (i >= s.size()) return false;
  const char c = s[i];
  if (c == '"') {
    m.kind = FlatMember::Kind::string;
    return plain_string(s, i, m.text);
  }
  if (c == '-' || digit(c)) {
    const size_t from = i;
    if (!number_token(s, i)) return false;
    m.kind = FlatMember::Kind::number;
    m.text = s.substr(from, i - from);
    // Integers as simdjson reads them (int64, then uint64), then as a double;
    // out of range or not a number: the full parser decides.
    const char* b = m.text.data();
    const char* e = b + m.text.size();
    int64_t n;
    if (auto r = std::from_chars(b, e, n); r.ec == std::errc() && r.ptr == e) {
      m.number = static_cast<double>(n);
      return true;
    }
    uint64_t u;
    if (auto r = std::from_chars(b, e, u); r.ec == std::errc() && r.ptr == e) {
      m.number = static_cast<double>(u);
      return true;
    }
    auto r = std::from_chars(b, e, m.number);
    return r.ec == std::errc() && r.ptr == e;
  }
  for (std::string_view lit : {std::string_view("true"), std::string_view("false"), std::string_view("null")})
    if (s.compare(i, lit.size(), lit) == 0) {
      m.kind = FlatMember::Kind::literal;
      m.text = s.substr(i, lit.size());
      i += lit.size();
      return true;
    }
  return false;  // an object or array (not flat), or not JSON
}

}  // namespace

bool read_flat_object(std::string_view s, FlatMember* out, size_t room, size_t& count) {
  count = 0;
  size_t i = 0;
  skip_space(s, i);
  if (i >= s.size() || s[i] != '{') return false;
  ++i;
  skip_space(s, i);
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    for (;;) {
      if (count == room || i >= s.size() || s[i] != '"') return false;
      FlatMember& m = out[count];
      if (!plain_string(s, i, m.key)) return false;
      skip_space(s, i);
      if (i >= s.size() || s[i] != ':') return false;
      ++i;
      skip_space(s, i);
      if (!value(s, i, m)) return false;
      ++count;
      skip_space(s, i);
      if (i < s.size() && s[i] == ',') {
        ++i;
        skip_space(s, i);
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      return false;
    }
  }
  skip_space(s, i);
  return i == s.size();
}

}  // namespace gw502
