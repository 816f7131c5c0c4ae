#include "report/redact.hpp"

#include <cstring>

namespace gw502 {
namespace {

bool addr_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
         c == ':' || c == '[' || c == ']';
}

// The value after each of these marks is a client address.
constexpr const char* kClientMarks[] = {"client: ", "[Client ", "\"remote_ip\":\"", "\"client_ip\":\"",
                                        "\"ClientHost\":\"", "\"ClientAddr\":\"", " from "};

}  // namespace

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  // An access line starts with the client's address.
  if (!text.empty() && addr_char(text[0])) {
    size_t e = 0;
    while (e < text.size() && addr_char(text[e])) ++e;
    if (e < text.size() && text[e] == ' ' && text.substr(0, e).find_first_of(".:") != std::string_view::npos) {
      out += "<client>";
      i = e;
    }
  }
  while (i < text.size()) {
    bool done = false;
    for (const char* mark : kClientMarks) {
      const size_t n = std::strlen(mark);
      if (text.compare(i, n, mark) != 0) continue;
      size_t e = i + n;
      while (e < text.size() && addr_char(text[e])) ++e;
      if (e == i + n || text.substr(i + n, e - i - n).find_first_of(".:") == std::string_view::npos) continue;
      out.append(text.substr(i, n));
      out += "<client>";
      i = e;
      done = true;
      break;
    }
    if (done) continue;
    if (text[i] == '?' && i > 0 && text[i - 1] != ' ' && text[i - 1] != '"') {
      size_t e = i + 1;
      while (e < text.size() && text[e] != ' ' && text[e] != '"' && text[e] != '\'' && text[e] != ',') ++e;
      if (e > i + 1) {
        out += "?<query>";
        i = e;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace gw502
