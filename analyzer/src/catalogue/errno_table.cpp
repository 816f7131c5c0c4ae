#include "catalogue/errno_table.hpp"

#include <algorithm>
#include <cstring>

namespace gw502 {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

bool strings(object o, const char* key, std::vector<std::string>& out, std::string& why) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return true;
  array a;
  if (e.get_array().get(a) != simdjson::SUCCESS) {
    why = std::string("\"") + key + "\" must be an array of strings";
    return false;
  }
  for (element x : a) {
    std::string_view v;
    if (x.get_string().get(v) != simdjson::SUCCESS || v.empty()) {
      why = std::string("\"") + key + "\" must hold non-empty strings";
      return false;
    }
    out.emplace_back(v);
  }
  return true;
}

bool parse_errno(object o, ErrnoEntry& e, std::string& why) {
  std::string_view name;
  if (o["name"].get_string().get(name) != simdjson::SUCCESS || name.empty()) {
    why = "missing \"name\"";
    return false;
  }
  e.name.assign(name);
  for (const char* platform : {"linux", "bsd", "windows"}) {
    element n;
    if (o[platform].get(n) != simdjson::SUCCESS) continue;
    int64_t v;
    if (n.get_int64().get(v) != simdjson::SUCCESS || v <= 0 || v > 99999) {
      why = std::string("\"") + platform + "\" must be an errno number";
      return false;
    }
    if (std::find(e.numbers.begin(), e.numbers.end(), v) == e.numbers.end())
      e.numbers.push_back(static_cast<int>(v));
  }
  element other;  // any other platform's numbers
  if (o["other"].get(other) == simdjson::SUCCESS) {
    array list;
    if (other.get_array().get(list) != simdjson::SUCCESS) {
      why = "\"other\" must be an array of errno numbers";
      return false;
    }
    for (element n : list) {
      int64_t v;
      if (n.get_int64().get(v) != simdjson::SUCCESS || v <= 0 || v > 99999) {
        why = "\"other\" must be an array of errno numbers";
        return false;
      }
      e.numbers.push_back(static_cast<int>(v));
    }
  }
  if (e.numbers.empty()) {
    why = "no errno number (\"linux\", \"bsd\" or \"windows\")";
    return false;
  }
  if (!strings(o, "go", e.go, why)) return false;
  object causes;
  if (o["causes"].get_object().get(causes) != simdjson::SUCCESS) {
    why = "\"causes\" must be an object: phase -> cause";
    return false;
  }
  for (auto f : causes) {
    std::string_view c;
    if (f.value.get_string().get(c) != simdjson::SUCCESS) {
      why = "\"causes\" values must be cause ids";
      return false;
    }
    e.causes.emplace_back(std::string(f.key), std::string(c));
  }
  return true;
}

bool parse_phase(object o, Phase& p, std::string& why) {
  std::string_view id;
  if (o["id"].get_string().get(id) != simdjson::SUCCESS || id.empty()) {
    why = "missing \"id\"";
    return false;
  }
  p.id.assign(id);
  if (!strings(o, "nginx", p.nginx, why) || !strings(o, "go", p.go, why) ||
      !strings(o, "nginx_calls", p.nginx_calls, why) || !strings(o, "nginx_literals", p.nginx_literals, why))
    return false;
  // The prefilter must find every line a rule of the phase matches.
  for (const std::string& text : p.nginx) {
    if (p.nginx_literals.empty()) break;
    bool held = false;
    for (const std::string& lit : p.nginx_literals) held = held || (!lit.empty() && text.find(lit) != std::string::npos);
    if (!held) {
      why = "\"nginx_literals\": none is in \"" + text + "\"";
      return false;
    }
  }
  return true;
}

// The text as a regex that matches it literally. Written here rather than
// RE2::QuoteMeta: a std::string made inside libre2 must not be freed by the
// nginx module, which carries its own static libstdc++.
// Only regex metacharacters are escaped: the rules are exported for other
// engines too (--export-patterns), and some (ripgrep's) refuse an escaped
// character that is not one, such as the apostrophe of "can't".
std::string quote_meta(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::strchr("\\.+*?()|[]{}^$", c) && c != '\0') out += '\\';
    out += c;
  }
  return out;
}

std::string alternation(const std::vector<std::string>& v) {
  std::string s = "(?:";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += '|';
    s += quote_meta(v[i]);
  }
  return s + ')';
}

// (?:111|61|10061)
std::string number_alternation(const std::vector<int>& numbers) {
  std::string s = "(?:";
  for (size_t i = 0; i < numbers.size(); ++i) s += (i ? "|" : "") + std::to_string(numbers[i]);
  return s + ')';
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

bool ErrnoTable::add(object root, const std::string& file, std::string& err) {
  std::string why;
  array a;
  if (root["phases"].get_array().get(a) == simdjson::SUCCESS) {
    for (element x : a) {
      Phase p;
      object o;
      if (x.get_object().get(o) != simdjson::SUCCESS || !parse_phase(o, p, why)) {
        err = file + ": phase " + p.id + (p.id.empty() ? "" : ": ") + (why.empty() ? "must be an object" : why);
        return false;
      }
      auto at = std::find_if(phases_.begin(), phases_.end(), [&](const Phase& q) { return q.id == p.id; });
      if (at != phases_.end())
        *at = std::move(p);
      else
        phases_.push_back(std::move(p));
    }
  }
  if (root["errno"].get_array().get(a) == simdjson::SUCCESS) {
    for (element x : a) {
      ErrnoEntry e;
      e.origin = file;
      object o;
      if (x.get_object().get(o) != simdjson::SUCCESS || !parse_errno(o, e, why)) {
        err = file + ": errno " + e.name + (e.name.empty() ? "" : ": ") + (why.empty() ? "must be an object" : why);
        return false;
      }
      auto at = std::find_if(errnos_.begin(), errnos_.end(), [&](const ErrnoEntry& q) { return q.name == e.name; });
      if (at != errnos_.end())
        *at = std::move(e);
      else
        errnos_.push_back(std::move(e));
    }
  }
  return true;
}

bool ErrnoTable::rules(std::vector<Rule>& out, std::string& err) const {
  for (const ErrnoEntry& e : errnos_) {
    const std::string numbers = number_alternation(e.numbers);
    for (const auto& [phase_id, cause] : e.causes) {
      auto p = std::find_if(phases_.begin(), phases_.end(), [&, phase_id = phase_id](const Phase& q) { return q.id == phase_id; });
      if (p == phases_.end()) {
        err = e.origin + ": errno " + e.name + ": unknown phase \"" + phase_id + "\"";
        return false;
      }
      const std::string id = "errno." + lower(e.name) + "." + p->id;
      if (!p->nginx.empty()) {  // "(111: Connection refused) while connecting to upstream"
        Rule r;
        r.id = id;
        r.cause_id = cause;
        r.families = 1u << static_cast<unsigned>(LogFamily::nginx);
        r.regex = "\\(" + numbers + ": [^)]*\\).* while " + alternation(p->nginx);
        r.literals = p->nginx_literals.empty() ? p->nginx : p->nginx_literals;
        r.origin = e.origin;
        out.push_back(std::move(r));
      }
      if (!p->go.empty() && !e.go.empty()) {  // "dial tcp 10.0.0.5:80: connect: connection refused"
        Rule r;
        r.id = id + ".go";
        r.cause_id = cause;
        r.families = (1u << static_cast<unsigned>(LogFamily::caddy)) |
                     (1u << static_cast<unsigned>(LogFamily::traefik));
        r.regex = "\\b" + alternation(p->go) + ": " + alternation(e.go);
        r.literals = e.go;
        r.origin = e.origin;
        out.push_back(std::move(r));
      }
    }
  }
  // Calls ("connect() failed (111: ...") name their phase whatever the line
  // says after them: after every phase's own rules.
  for (const ErrnoEntry& e : errnos_) {
    const std::string numbers = number_alternation(e.numbers);
    for (const auto& [phase_id, cause] : e.causes) {
      auto p = std::find_if(phases_.begin(), phases_.end(), [&, phase_id = phase_id](const Phase& q) { return q.id == phase_id; });
      const std::string id = "errno." + lower(e.name) + "." + p->id;
      if (!p->nginx_calls.empty()) {  // "connect() to 10.0.0.5:80 failed (111: Connection ref"
        Rule r;
        r.id = id + ".call";
        r.cause_id = cause;
        r.families = 1u << static_cast<unsigned>(LogFamily::nginx);
        r.regex = alternation(p->nginx_calls) + "(?: to \\S+)? failed \\(" + numbers + ": ";
        r.literals = p->nginx_calls;
        r.origin = e.origin;
        out.push_back(std::move(r));
      }
    }
  }
  return true;
}

}  // namespace gw502
