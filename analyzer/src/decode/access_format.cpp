// Compiling an nginx log_format string (see access_format.hpp); the matcher
// is in access_format_match.cpp.
#include "decode/access_format.hpp"

#include <cstring>

namespace gw502 {
namespace {

struct Named {
  const char* name;
  const char* format;
};
// nginx's predefined format, the sample of nginx.org's nginx.conf, and NPM's
// two (docker/rootfs/etc/nginx/conf.d/include/log-proxy.conf).
constexpr Named kNamed[] = {
    {"combined",
     "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
     "\"$http_referer\" \"$http_user_agent\""},
    {"main",
     "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
     "\"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\""},
    {"npm",
     "[$time_local] $upstream_cache_status $upstream_status $status - $request_method $scheme $host "
     "\"$request_uri\" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] "
     "[Sent-to $server] \"$http_user_agent\" \"$http_referer\""},
    {"npm_standard",
     "[$time_local] $status - $request_method $scheme $host \"$request_uri\" [Client $remote_addr] "
     "[Length $body_bytes_sent] [Gzip $gzip_ratio] \"$http_user_agent\" \"$http_referer\""},
};

constexpr const char* kVarNames[kAccessVars] = {
    "",  // other
    "remote_addr", "remote_user", "time_local", "time_iso8601", "msec", "request", "request_method",
    "request_uri", "uri", "args", "status", "host", "http_host", "server_name", "upstream_addr",
    "upstream_status", "upstream_response_time", "upstream_connect_time", "upstream_header_time",
    "request_time", "body_bytes_sent", "bytes_sent", "request_length", "http_referer",
    "http_user_agent", "gw502_cause",
};

constexpr size_t kMaxItems = 256;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// One quoted string of nginx's configuration at s[i] (' or "), with its
// escapes (\" \' \\ \t \r \n); i moves past the closing quote.
bool conf_string(std::string_view s, size_t& i, std::string& out) {
  const char q = s[i++];
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == q) {
      ++i;
      return true;
    }
    if (c == '\\' && i + 1 < s.size()) {
      char n = s[i + 1];
      if (n == q || n == '\\' || n == '"' || n == '\'') c = n, ++i;
      else if (n == 't') c = '\t', ++i;
      else if (n == 'n') c = '\n', ++i;
      else if (n == 'r') c = '\r', ++i;
    }
    out += c;
  }
  return false;
}

// The strings of `log_format NAME [escape=..] '...' '...';` joined (nginx
// joins them as they are), or of a run of quoted strings as they stand in
// that directive ('...' '...'). 1: read into out; 0: s is neither (then it
// is the format itself); -1: a broken directive (err says why).
int directive_strings(std::string_view s, std::string& out, std::string& err) {
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  const bool directive = s.compare(i, 10, "log_format") == 0 && i + 10 < s.size() && space(s[i + 10]);
  if (!directive && (i == s.size() || s[i] != '\'')) return 0;
  if (directive) i += 10;
  std::vector<std::string> tokens;
  for (;;) {
    while (i < s.size() && space(s[i])) ++i;
    if (i == s.size() || s[i] == ';') break;
    std::string t;
    if (s[i] == '\'' || s[i] == '"') {
      if (!conf_string(s, i, t)) {
        if (!directive) return 0;
        err = "unterminated quoted string in the log_format directive";
        return -1;
      }
    } else {
      if (!directive) return 0;  // text outside quotes: a plain format
      size_t b = i;
      while (i < s.size() && !space(s[i]) && s[i] != ';') ++i;
      t.assign(s.substr(b, i - b));
    }
    tokens.push_back(std::move(t));
  }
  while (i < s.size() && (space(s[i]) || s[i] == ';')) ++i;
  if (i != s.size()) {
    if (!directive) return 0;
    err = "text after the log_format directive's ';'";
    return -1;
  }
  size_t k = 0;
  if (directive) k = tokens.size() > 1 && tokens[1].compare(0, 7, "escape=") == 0 ? 2 : 1;
  if (k >= tokens.size()) {
    err = "the log_format directive has no format string";
    return -1;
  }
  out.clear();
  for (; k < tokens.size(); ++k) out += tokens[k];
  return 1;
}

// GoAccess's --log-format (https://goaccess.io/man#custom-log) as the
// nginx format that writes it: 1 translated into out; 0 not one (no
// %-specifier, or a '$': nginx's); -1 a specifier without an nginx
// variable (err says which).
int goaccess_format(std::string_view s, std::string& out, std::string& err) {
  if (s.find('$') != std::string_view::npos) return 0;
  if (s == "COMBINED") {
    out = kNamed[0].format;
    return 1;
  }
  struct Spec {
    char c;
    const char* var;
  };
  static constexpr Spec kSpecs[] = {
      {'h', "$remote_addr"}, {'e', "$remote_user"},  {'v', "$host"},           {'r', "$request"},
      {'m', "$request_method"}, {'U', "$request_uri"}, {'H', "$server_protocol"}, {'q', "$args"},
      {'s', "$status"},      {'b', "$body_bytes_sent"}, {'R', "$http_referer"}, {'u', "$http_user_agent"},
      {'T', "$request_time"}, {'x', "$time_iso8601"}, {'K', "$ssl_protocol"},   {'k', "$ssl_cipher"},
      {'M', "$sent_http_content_type"}, {'C', "$upstream_cache_status"},
      {'L', "${goaccess_L}"}, {'D', "${goaccess_D}"}, {'n', "${goaccess_n}"},
  };
  out.clear();
  bool any = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    if (c == '%') {
      out += '%';
      continue;
    }
    // nginx's $time_local as GoAccess reads it: [%d:%t %^] with
    // date-format %d/%b/%Y and time-format %T.
    if (c == 'd' && s.compare(i + 1, 6, ":%t %^") == 0) {
      out += "$time_local";
      i += 6;
      any = true;
      continue;
    }
    if (c == '^') {
      out += "${goaccess_skip_" + std::to_string(i) + "}";
      any = true;
      continue;
    }
    const char* var = nullptr;
    for (const Spec& sp : kSpecs)
      if (sp.c == c) var = sp.var;
    if (!var) {
      if (!any && !(c == 'd' || c == 't' || c == '~')) return 0;
      err = std::string("GoAccess's %") + c +
            (c == 'd' || c == 't' ? " is read only as [%d:%t %^] ($time_local)"
                                  : " has no nginx variable here") +
            "; give nginx's log_format string instead";
      return -1;
    }
    out += var;
    any = true;
  }
  return any ? 1 : 0;
}

}  // namespace

bool AccessFormat::compile(std::string_view spec, std::string& err) {
  items_.clear();
  text_.clear();
  err.clear();
  while (!spec.empty() && space(spec.front())) spec.remove_prefix(1);
  while (!spec.empty() && space(spec.back())) spec.remove_suffix(1);
  if (spec.empty()) {
    err = "empty; give nginx's log_format string, or combined, main, npm";
    return false;
  }
  for (const Named& n : kNamed)
    if (spec == n.name) return parse(n.format, err);
  std::string joined;
  int d = directive_strings(spec, joined, err);
  if (d == 0 && (d = goaccess_format(spec, joined, err)) > 0) {
    if (parse(joined, err)) return true;
    if (err.compare(0, 26, "the format has no $status:") == 0) err = "the format has no %s (the status): gw502 needs the status nginx served";
    return false;
  }
  if (d < 0) return false;
  return parse(d > 0 ? std::string_view(joined) : spec, err);
}

bool AccessFormat::parse(std::string_view s, std::string& err) {
  text_.assign(s);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);  // lines lose trailing blanks too
  auto literal = [&](std::string_view l) {
    if (l.empty()) return;
    if (!items_.empty() && !items_.back().var) items_.back().lit += l;
    else items_.push_back({false, AccessVar::other, std::string(l)});
  };
  size_t i = 0;
  bool status = false;
  while (i < s.size()) {
    size_t d = s.find('$', i);
    literal(s.substr(i, (d == std::string_view::npos ? s.size() : d) - i));
    if (d == std::string_view::npos) break;
    std::string_view name;
    if (d + 1 < s.size() && s[d + 1] == '{') {
      size_t close = s.find('}', d + 2);
      if (close == std::string_view::npos) {
        err = "unterminated ${ at offset " + std::to_string(d);
        return false;
      }
      name = s.substr(d + 2, close - d - 2);
      i = close + 1;
    } else {
      size_t e = d + 1;
      while (e < s.size() && name_char(s[e])) ++e;
      name = s.substr(d + 1, e - d - 1);
      i = e;
    }
    bool valid = !name.empty();
    for (char c : name) valid = valid && name_char(c);
    if (!valid) {
      err = "'$' at offset " + std::to_string(d) + " is not followed by a variable name";
      return false;
    }
    Item it{true, AccessVar::other, std::string(name)};
    for (size_t k = 1; k < kAccessVars; ++k)
      if (name == kVarNames[k]) it.id = static_cast<AccessVar>(k);
    if (it.id == AccessVar::status && !status) {
      status = true;
      status_item_ = items_.size();
    }
    items_.push_back(std::move(it));
    if (items_.size() > kMaxItems) {
      err = "more than " + std::to_string(kMaxItems) + " variables and literals";
      return false;
    }
  }
  if (!status) {
    err = "the format has no $status: gw502 needs the status nginx served";
    items_.clear();
    return false;
  }
  return true;
}

bool AccessFormat::has(AccessVar a) const {
  for (const Item& it : items_)
    if (it.var && it.id == a) return true;
  return false;
}

std::vector<std::string> AccessFormat::literals_around(AccessVar a, std::string_view value) const {
  constexpr size_t kBefore = 4, kAfter = 2;
  std::vector<std::string> out;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (!items_[i].var || items_[i].id != a) continue;
    std::string l;
    if (i > 0 && !items_[i - 1].var) {
      const std::string& p = items_[i - 1].lit;
      l = p.substr(p.size() > kBefore ? p.size() - kBefore : 0);
    }
    l += value;
    if (i + 1 < items_.size() && !items_[i + 1].var) l += items_[i + 1].lit.substr(0, kAfter);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace gw502
