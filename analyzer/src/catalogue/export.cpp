#include "catalogue/export.hpp"

#include <cstring>

namespace gw502 {
namespace {

std::string to_ere(const std::string& re) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      char n = re[++i];
      if (n == 'd') {
        out += in_class ? "0-9" : "[0-9]";
      } else if (n == 'S' && !in_class) {
        out += "[^ ]";
      } else if (n == 's') {
        out += in_class ? "[:space:]" : "[[:space:]]";
      } else if (n == '"') {
        out += '"';
      } else {
        out += '\\';
        out += n;
      }
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < re.size() && re[i + 1] == '^') out += re[++i];
      if (i + 1 < re.size() && re[i + 1] == ']') out += re[++i];
      continue;
    }
    if (c == '(' && re.compare(i, 4, "(?P<") == 0) {
      size_t close = re.find('>', i);
      out += '(';
      i = close;
      continue;
    }
    if (c == '(' && re.compare(i, 3, "(?:") == 0) {
      out += '(';
      i += 2;
      continue;
    }
    if (c == '^' || c == '$') continue;
    out += c;
  }
  return out;
}

// A literal as an extended regular expression that matches just it.
std::string escape_ere(const std::string& lit) {
  std::string out;
  for (char c : lit) {
    if (std::strchr(".[]()*+?{}|^$\\", c) != nullptr) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string export_patterns(const Catalogue& cat, LogFamily family) {
  std::string out;
  for (const Rule& r : cat.rules()) {
    if (r.ignore || r.pair_only || !(r.families & (1u << static_cast<unsigned>(family)))) continue;
    std::string ere = to_ere(r.regex);
    // A catch-all's regex matches any text its literals let through (go.unclassified
    // is "^"); exported as it is, it would be an empty pattern, which matches every
    // line. What finds those lines is the literals, so they are what is exported.
    if (ere.empty()) {
      for (const std::string& lit : r.literals) {
        if (!ere.empty()) ere += '|';
        ere += escape_ere(lit);
      }
    }
    if (ere.empty()) continue;
    out += ere;
    out += '\n';
  }
  return out;
}

}  // namespace gw502
