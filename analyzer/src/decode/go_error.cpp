#include "decode/go_error.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "decode/nginx_decoder.hpp"
#include "base/find_quote.hpp"
#include "base/timeparse.hpp"

namespace gw502 {
namespace {

constexpr size_t npos = std::string_view::npos;

// Up to the ": " that ends an address in a Go error, or the end.
std::string_view until_colon_space(std::string_view s, size_t from) {
  size_t e = s.find(": ", from);
  return s.substr(from, (e == npos ? s.size() : e) - from);
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void put_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | ((cp >> 18) & 0x07));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string_view go_error_upstream(std::string_view err, bool& unix) {
  unix = false;
  // "dial tcp ADDR: ", "dial tcp4 ADDR: ", "dial unix PATH: "; "dial tcp: lookup" names no address.
  for (size_t p = err.find("dial "); p != npos; p = err.find("dial ", p + 1)) {
    size_t i = p + 5;
    size_t j = i;
    while (j < err.size() && err[j] >= 'a' && err[j] <= 'z') ++j;
    while (j < err.size() && err[j] >= '0' && err[j] <= '9') ++j;
    if (j == i || j >= err.size() || err[j] != ' ') continue;
    std::string_view addr = until_colon_space(err, j + 1);
    if (addr.empty()) continue;
    unix = err.substr(i, j - i) == "unix";
    return addr;
  }
  size_t p = err.find("lookup ");
  if (p != npos) {
    size_t i = p + 7, j = i;
    while (j < err.size() && err[j] != ' ' && err[j] != ':') ++j;
    if (j > i) return err.substr(i, j - i);
  }
  p = err.find("->");
  if (p != npos) {
    std::string_view addr = until_colon_space(err, p + 2);
    if (!addr.empty() && addr.find(' ') == npos) return addr;
  }
  p = err.find("\"http");
  if (p != npos) {
    size_t q = err.find('"', p + 1);
    if (q != npos) {
      std::string_view scheme;
      return upstream_address(err.substr(p + 1, q - p - 1), scheme);
    }
  }
  p = err.find("cannot validate certificate for ");
  if (p != npos) {
    size_t i = p + 32, j = err.find(' ', i);
    return err.substr(i, (j == npos ? err.size() : j) - i);
  }
  p = err.find("certificate is valid for ");
  if (p != npos) {
    size_t n = err.find(", not ", p);
    if (n != npos) return err.substr(n + 6);
  }
  return {};
}

std::string_view go_unquote(std::string_view s, size_t& end, std::string& out) {
  out.clear();
  const size_t start = (!s.empty() && s[0] == '"') ? 1 : 0;
  size_t i = start;
  while (i < s.size()) {
    // Copy the run up to the next quote or backslash in one go.
    const size_t j = find_quote_or_backslash(s, i);
    if (j < s.size() && s[j] == '"' && i == start) {
      end = j + 1;  // no escape at all: a view of the input, nothing copied
      return s.substr(start, j - start);
    }
    out.append(s.data() + i, j - i);
    i = j;
    if (i >= s.size()) break;
    if (s[i] == '"') {
      end = i + 1;
      return out;
    }
    if (i + 1 >= s.size()) {  // a lone backslash at the end
      out += '\\';
      ++i;
      continue;
    }
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        unsigned long v = 0;
        size_t k = 0;
        for (; k < n && i + k < s.size() && hex(s[i + k]) >= 0; ++k) v = v * 16 + static_cast<unsigned long>(hex(s[i + k]));
        if (k < n) {  // not a complete escape: keep it as written
          out += '\\';
          out += e;
          break;
        }
        i += n;
        if (e == 'x')
          out += static_cast<char>(v);
        else
          put_utf8(out, v);
        break;
      }
      default:
        if (e >= '0' && e <= '7' && i + 1 < s.size() && s[i] >= '0' && s[i] <= '7' &&
            s[i + 1] >= '0' && s[i + 1] <= '7') {  // \NNN octal
          out += static_cast<char>(((e - '0') << 6) | ((s[i] - '0') << 3) | (s[i + 1] - '0'));
          i += 2;
        } else {
          out += e;  // \\ \" \'
        }
    }
  }
  end = s.size();
  return out;
}

std::string_view strip_ansi(std::string_view s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\x1b') {
      out += s[i];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '[') {
      size_t j = i + 2;
      while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x20 &&
             static_cast<unsigned char>(s[j]) <= 0x3f)
        ++j;
      while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x20 &&
             static_cast<unsigned char>(s[j]) <= 0x2f)
        ++j;
      i = j;  // the final byte
    } else {
      ++i;
    }
  }
  return out;
}

bool go_epoch_time(double v, int64_t& out) {
  if (!(v > 0)) return false;
  if (v > 1e17)
    v /= 1e9;
  else if (v > 1e14)
    v /= 1e6;
  else if (v > 1e11)
    v /= 1e3;
  // Seconds beyond year ~33000 (1e12) are no log time; casting a double out of
  // int64_t's range (1e300, inf) would be undefined behaviour (D8).
  if (!(v < 1e12)) return false;
  out = static_cast<int64_t>(v);
  return true;
}

bool go_log_time(std::string_view s, int64_t& out, bool& utc) {
  utc = false;
  if (s.size() >= 19 && s[4] == '/') return parse_nginx_time(s, out);
  if (s.size() >= 10 && s[4] == '-') {
    if (parse_iso_time(s, out, utc)) return true;
    // "2024-01-15 10:23:45.123 +0100 CET" and other Go layouts: the first 19 characters.
    return s.size() >= 19 && parse_iso_time(s.substr(0, 19), out, utc);
  }
  if (!s.empty() && s[0] >= '0' && s[0] <= '9') {
    char buf[40];
    size_t n = std::min(s.size(), sizeof buf - 1);
    std::memcpy(buf, s.data(), n);
    buf[n] = '\0';
    char* end = nullptr;
    double v = std::strtod(buf, &end);
    if (end != buf && go_epoch_time(v, out)) {
      utc = true;
      return true;
    }
  }
  return false;
}

size_t go_std_log_prefix(std::string_view s) {
  auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  static constexpr char kShape[] = "DDDD/DD/DD DD:DD:DD";
  for (size_t i = 0; i + 1 < sizeof kShape; ++i)
    if (kShape[i] == 'D' ? !digit(i) : (i >= s.size() || s[i] != kShape[i])) return 0;
  size_t i = 19;
  if (i < s.size() && s[i] == '.' && digit(i + 1)) {
    ++i;
    while (digit(i)) ++i;
  }
  if (i >= s.size() || s[i] != ' ') return 0;
  ++i;
  // "reverseproxy.go:395: "
  size_t j = i;
  while (j < s.size() && j - i < 64 && s[j] != ' ' && s[j] != ':') ++j;
  if (j > i + 3 && s.compare(j - 3, 3, ".go") == 0 && j + 1 < s.size() && s[j] == ':' && digit(j + 1)) {
    size_t k = j + 1;
    while (digit(k)) ++k;
    if (k + 1 < s.size() && s[k] == ':' && s[k + 1] == ' ') return k + 2;
  }
  return i;
}

}  // namespace gw502
