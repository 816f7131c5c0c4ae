#include "docker/proxy_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/strutil.hpp"

namespace gw502::docker {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ---- nginx -------------------------------------------------------------

struct Directive {
  std::string name;
  std::vector<std::string> args;
  int line = 0;
  std::vector<Directive> block;
  bool has_block = false;
};

// nginx's syntax: words, quoted strings, ';', '{', '}', '#' comments.
class NginxParser {
 public:
  explicit NginxParser(std::string_view t) : t_(t) {}
  std::vector<Directive> parse() { return block(0); }

 private:
  std::vector<Directive> block(int depth) {
    std::vector<Directive> out;
    Directive cur;
    for (;;) {
      std::string tok;
      int kind = next(tok);  // 0 end, 1 word, 2 ';', 3 '{', 4 '}'
      if (kind == 0) return out;
      if (kind == 1) {
        if (cur.name.empty()) {
          cur.name = tok;
          cur.line = line_;
        } else {
          cur.args.push_back(tok);
        }
      } else if (kind == 2) {
        if (!cur.name.empty()) out.push_back(std::move(cur));
        cur = Directive{};
      } else if (kind == 3) {
        cur.has_block = true;
        if (depth < 32) cur.block = block(depth + 1);
        out.push_back(std::move(cur));
        cur = Directive{};
      } else {
        return out;
      }
    }
  }
  int next(std::string& tok) {
    for (;;) {
      while (pos_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[pos_]))) {
        if (t_[pos_] == '\n') ++line_;
        ++pos_;
      }
      if (pos_ >= t_.size()) return 0;
      if (t_[pos_] == '#') {
        while (pos_ < t_.size() && t_[pos_] != '\n') ++pos_;
        continue;
      }
      break;
    }
    char c = t_[pos_];
    if (c == ';') return ++pos_, 2;
    if (c == '{') return ++pos_, 3;
    if (c == '}') return ++pos_, 4;
    if (c == '"' || c == '\'') {
      ++pos_;
      while (pos_ < t_.size() && t_[pos_] != c) {
        if (t_[pos_] == '\\' && pos_ + 1 < t_.size()) ++pos_;
        if (t_[pos_] == '\n') ++line_;
        tok += t_[pos_++];
      }
      ++pos_;
      return 1;
    }
    while (pos_ < t_.size() && !std::isspace(static_cast<unsigned char>(t_[pos_])) && t_[pos_] != ';' &&
           t_[pos_] != '}') {
      if (t_[pos_] == '{') {
        if (tok.empty() || tok.back() != '$') break;
        // ${var} stays one word
        size_t close = t_.find('}', pos_);
        if (close == std::string_view::npos) break;
        tok.append(t_.substr(pos_, close + 1 - pos_));
        pos_ = close + 1;
        continue;
      }
      tok += t_[pos_++];
    }
    if (tok.empty()) tok += t_[pos_++];
    return 1;
  }
  std::string_view t_;
  size_t pos_ = 0;
  int line_ = 1;
};

using Vars = std::map<std::string, std::string>;

std::string substitute(const std::string& s, const Vars& vars) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '$') {
      size_t j = i + 1;
      bool brace = j < s.size() && s[j] == '{';
      if (brace) ++j;
      size_t k = j;
      while (k < s.size() && (std::isalnum(static_cast<unsigned char>(s[k])) || s[k] == '_')) ++k;
      std::string name = s.substr(j, k - j);
      if (brace && k < s.size() && s[k] == '}') ++k;
      auto it = vars.find(name);
      if (it != vars.end()) {
        out += it->second;
        i = k;
        continue;
      }
      // request variables ($request_uri, $uri) are path parts: drop them
      if (name == "request_uri" || name == "uri" || name == "is_args" || name == "args") {
        i = k;
        continue;
      }
      out.append(s, i, k - i);
      i = k;
      continue;
    }
    out += s[i++];
  }
  return out;
}

struct NginxScope {
  std::vector<std::string> sites;
  Vars vars;
  std::string read_timeout;
};

void walk_nginx(const std::vector<Directive>& ds, NginxScope scope, const std::string& file,
                const std::map<std::string, std::vector<std::string>>& upstreams, std::vector<Route>& out,
                bool in_server) {
  // First the scope's own settings, then its blocks and proxy_pass lines.
  bool has_pass = false;
  for (const auto& d : ds) {
    if (d.name == "server_name") scope.sites = d.args;
    if (d.name == "set" && d.args.size() >= 2 && starts_with(d.args[0], "$"))
      scope.vars[d.args[0].substr(1)] = substitute(d.args[1], scope.vars);
    if (d.name == "proxy_read_timeout" && !d.args.empty())
      scope.read_timeout = "proxy_read_timeout " + d.args[0] + " (" + file + ":" + std::to_string(d.line) + ")";
  }
  for (const auto& d : ds) {
    if (d.has_block) {
      if (d.name == "upstream") continue;
      walk_nginx(d.block, scope, file, upstreams, out, in_server || d.name == "server");
      continue;
    }
    if ((d.name == "proxy_pass" || d.name == "grpc_pass") && !d.args.empty()) {
      has_pass = true;
      std::string target = substitute(d.args[0], scope.vars);
      Upstream u = parse_upstream(target);
      bool literal = d.args[0].find('$') == std::string::npos;
      std::vector<Upstream> ups;
      auto it = upstreams.find(u.host);
      if (it != upstreams.end() && !u.host.empty()) {
        for (const auto& s : it->second) {
          Upstream v = parse_upstream(s);
          v.scheme = u.scheme;
          if (!v.port) v.port = 80;
          ups.push_back(v);
        }
      } else {
        ups.push_back(u);
      }
      for (auto& v : ups) {
        if (v.host.empty() || v.host.find('$') != std::string::npos || starts_with(v.host, "unix:")) continue;
        Route r;
        r.sites = scope.sites;
        r.site = scope.sites.empty() ? std::string() : scope.sites.front();
        r.upstream = v;
        r.where = file + ":" + std::to_string(d.line);
        r.read_timeout = scope.read_timeout;
        r.resolved_at_start = literal;
        out.push_back(r);
      }
    }
  }
  // NPM's proxy hosts: `set $forward_scheme / $server / $port` and the
  // proxy_pass in an included file (conf.d/include/proxy.conf).
  if (in_server && !has_pass && scope.vars.count("server") && scope.vars.count("port")) {
    bool any_location = std::any_of(ds.begin(), ds.end(), [](const Directive& d) { return d.name == "location"; });
    bool here = std::any_of(ds.begin(), ds.end(), [](const Directive& d) {
      return d.name == "set" && !d.args.empty() && d.args[0] == "$server";
    });
    if (here && any_location) {
      Route r;
      r.sites = scope.sites;
      r.site = scope.sites.empty() ? std::string() : scope.sites.front();
      r.upstream = parse_upstream(scope.vars["server"] + ":" + scope.vars["port"]);
      auto s = scope.vars.find("forward_scheme");
      r.upstream.scheme = s == scope.vars.end() ? "http" : lower(s->second);
      int line = 0;
      for (const auto& d : ds)
        if (d.name == "set" && !d.args.empty() && d.args[0] == "$server") line = d.line;
      r.where = file + ":" + std::to_string(line);
      r.read_timeout = scope.read_timeout;
      r.resolved_at_start = false;
      out.push_back(r);
    }
  }
}

void collect_upstreams(const std::vector<Directive>& ds, std::map<std::string, std::vector<std::string>>& ups) {
  for (const auto& d : ds) {
    if (d.name == "upstream" && d.has_block && !d.args.empty()) {
      for (const auto& s : d.block)
        if (s.name == "server" && !s.args.empty()) ups[d.args[0]].push_back(s.args[0]);
    } else if (d.has_block) {
      collect_upstreams(d.block, ups);
    }
  }
}

std::vector<Route> routes_from_nginx_files(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::vector<Directive>> trees;
  std::map<std::string, std::vector<std::string>> ups;
  for (const auto& [name, text] : files) {
    trees.push_back(NginxParser(text).parse());
    collect_upstreams(trees.back(), ups);
  }
  std::vector<Route> out;
  for (size_t i = 0; i < files.size(); ++i) walk_nginx(trees[i], NginxScope{}, files[i].first, ups, out, false);
  return out;
}

// ---- Caddyfile ---------------------------------------------------------

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size() || line[i] == '#') break;
    std::string w;
    if (line[i] == '"') {
      ++i;
      while (i < line.size() && line[i] != '"') w += line[i++];
      ++i;
    } else {
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) w += line[i++];
    }
    out.push_back(w);
  }
  return out;
}

bool is_matcher(const std::string& w) { return !w.empty() && (w[0] == '@' || w[0] == '/' || w[0] == '*'); }

// "https://photos.example.com:443" -> "photos.example.com"
std::string site_host(std::string a) {
  size_t s = a.find("://");
  if (s != std::string::npos) a = a.substr(s + 3);
  a = a.substr(0, a.find('/'));
  if (!a.empty() && a[0] == ':') return "";  // ":80"
  size_t c = a.rfind(':');
  if (c != std::string::npos && a.find(']') == std::string::npos) a = a.substr(0, c);
  return lower(a);
}

}  // namespace

std::vector<Route> routes_from_nginx(std::string_view text, const std::string& file) {
  return routes_from_nginx_files({{file, std::string(text)}});
}

std::vector<Route> routes_from_caddyfile(std::string_view text, const std::string& file) {
  std::vector<Route> out;
  int depth = 0, line_no = 0;
  std::vector<std::string> sites;
  int proxy_depth = -1;  // depth inside a reverse_proxy block
  size_t proxy_first = 0;  // first route of the open reverse_proxy block
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    auto w = words(line);
    if (w.empty()) {
      if (eol == text.size()) break;
      continue;
    }
    bool opens = w.back() == "{";
    if (opens) w.pop_back();
    if (depth == 0 && opens && !w.empty() && !(w.size() == 1 && w[0].empty())) {
      sites.clear();
      for (auto s : w) {
        if (!s.empty() && s.back() == ',') s.pop_back();
        if (s.empty() || s[0] == '(') continue;  // snippets
        sites.push_back(site_host(s));
      }
    } else if (!w.empty() && w[0] == "reverse_proxy") {
      proxy_first = out.size();
      for (size_t i = 1; i < w.size(); ++i) {
        if (i == 1 && is_matcher(w[i])) continue;
        if (w[i].find('{') != std::string::npos) continue;  // placeholders
        Route r;
        r.sites = sites;
        r.site = sites.empty() ? std::string() : sites.front();
        r.upstream = parse_upstream(w[i]);
        r.where = file + ":" + std::to_string(line_no);
        out.push_back(r);
      }
      if (opens) proxy_depth = depth + 1;
    } else if (proxy_depth >= 0 && depth >= proxy_depth && !w.empty()) {
      if (w[0] == "to")
        for (size_t i = 1; i < w.size(); ++i) {
          Route r;
          r.sites = sites;
          r.site = sites.empty() ? std::string() : sites.front();
          r.upstream = parse_upstream(w[i]);
          r.where = file + ":" + std::to_string(line_no);
          out.push_back(r);
        }
      if ((w[0] == "read_timeout" || w[0] == "response_header_timeout") && w.size() > 1)
        for (size_t i = proxy_first; i < out.size(); ++i)
          out[i].read_timeout = w[0] + " " + w[1] + " (" + file + ":" + std::to_string(line_no) + ")";
      if (w[0] == "tls" || w[0] == "tls_insecure_skip_verify")
        for (size_t i = proxy_first; i < out.size(); ++i)
          if (out[i].upstream.scheme.empty()) out[i].upstream.scheme = "https";
    }
    if (opens) ++depth;
    for (const auto& x : w)
      if (x == "}") {
        --depth;
        if (depth < proxy_depth) proxy_depth = -1;
      }
    if (eol == text.size()) break;
  }
  return out;
}

std::vector<Route> routes_from_traefik_labels(const Snapshot& snap) {
  std::vector<Route> out;
  for (const auto& c : snap.containers) {
    std::map<std::string, std::pair<std::string, std::string>> services;  // name -> port, scheme
    std::vector<std::string> hosts;
    for (const auto& [k, v] : c.labels) {
      const std::string pre = "traefik.http.services.";
      if (starts_with(k, pre)) {
        std::string rest = k.substr(pre.size());
        size_t dot = rest.find('.');
        if (dot == std::string::npos) continue;
        std::string svc = rest.substr(0, dot), key = rest.substr(dot + 1);
        if (key == "loadbalancer.server.port") services[svc].first = v;
        if (key == "loadbalancer.server.scheme") services[svc].second = v;
      }
      if (starts_with(k, "traefik.http.routers.") && ends_with(k, ".rule")) {
        size_t p = 0;
        while ((p = v.find("Host(", p)) != std::string::npos) {
          p += 5;
          size_t q = v.find(')', p);
          std::string inside = v.substr(p, q == std::string::npos ? std::string::npos : q - p);
          for (char& ch : inside)
            if (ch == '`' || ch == '"' || ch == ',') ch = ' ';
          for (auto& h : words(inside)) hosts.push_back(lower(h));
        }
      }
    }
    auto enabled = c.labels.find("traefik.enable");
    if (services.empty() && enabled != c.labels.end() && enabled->second == "true" && c.exposed.size() == 1)
      services["(default)"] = {std::to_string(c.exposed.front()), ""};
    for (const auto& [svc, ps] : services) {
      Route r;
      r.sites = hosts;
      r.site = hosts.empty() ? std::string() : hosts.front();
      r.upstream = parse_upstream((ps.second.empty() ? std::string("http") : ps.second) + "://" + c.name + ":" +
                                  (ps.first.empty() ? std::string("80") : ps.first));
      r.where = "label traefik.http.services." + svc + ".loadbalancer.server.port on " + c.name;
      out.push_back(r);
    }
  }
  return out;
}

bool looks_like_proxy(const Container& c, ProxyKind& kind) {
  std::string s = lower(c.image + " " + c.command);
  if (s.find("nginx-proxy-manager") != std::string::npos || s.find("jc21/") != std::string::npos) {
    kind = ProxyKind::npm;
    return true;
  }
  if (s.find("traefik") != std::string::npos) {
    kind = ProxyKind::traefik;
    return true;
  }
  if (s.find("caddy") != std::string::npos) {
    kind = ProxyKind::caddy;
    return true;
  }
  if (s.find("nginx") != std::string::npos || s.find("openresty") != std::string::npos) {
    // NPM keeps its hosts in /data/nginx (a volume or bind mount)
    std::string hp = host_path(c, "/data/nginx/proxy_host");
    std::error_code ec;
    bool npm = !hp.empty() && fs::is_directory(hp, ec);
    kind = npm ? ProxyKind::npm : ProxyKind::nginx;
    return true;
  }
  return false;
}

std::string host_path(const Container& c, const std::string& p) {
  const Mount* best = nullptr;
  for (const auto& m : c.mounts) {
    if (m.source.empty() || m.destination.empty()) continue;
    bool covers = p == m.destination || starts_with(p, m.destination + "/") || m.destination == "/";
    if (covers && (!best || m.destination.size() > best->destination.size())) best = &m;
  }
  if (!best) return {};
  if (p == best->destination) return best->source;
  std::string rest = best->destination == "/" ? p : p.substr(best->destination.size());
  return best->source + rest;
}

namespace {

bool read_small(const fs::path& p, std::string& out) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec || size > (1u << 20)) return false;
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// Config files under a container directory, read through its mounts.
void gather(const Container& c, const std::string& dir, bool caddy,
            std::vector<std::pair<std::string, std::string>>& files, std::vector<std::string>& read) {
  // Every mount at or below dir, plus the one that covers dir.
  std::vector<std::pair<std::string, std::string>> roots;  // container path, host path
  std::string h = host_path(c, dir);
  if (!h.empty()) roots.push_back({dir, h});
  for (const auto& m : c.mounts)
    if (starts_with(m.destination, dir + "/") && !m.source.empty()) roots.push_back({m.destination, m.source});
  for (const auto& root : roots) {
    // named references: a lambda may not capture structured bindings (C++17, clang)
    const std::string& cpath = root.first;
    const std::string& hpath = root.second;
    std::error_code ec;
    auto want = [&](const fs::path& p) {
      std::string n = p.filename().string();
      return caddy ? starts_with(n, "Caddyfile") || ends_with(n, ".caddy") || ends_with(n, ".caddyfile")
                   : ends_with(n, ".conf");
    };
    auto add = [&](const fs::path& p) {
      std::string rel = p.string().substr(std::min(hpath.size(), p.string().size()));
      std::string cp = cpath + rel;
      if (std::find(read.begin(), read.end(), cp) != read.end()) return;
      std::string text;
      if (read_small(p, text)) {
        files.push_back({cp, std::move(text)});
        read.push_back(cp);
      }
    };
    if (fs::is_regular_file(hpath, ec)) {
      if (want(hpath)) add(hpath);
      continue;
    }
    fs::recursive_directory_iterator it(hpath, fs::directory_options::skip_permission_denied, ec), end;
    size_t seen = 0;
    for (; !ec && it != end && seen < 2000; it.increment(ec), ++seen) {
      if (it.depth() > 5) {
        it.disable_recursion_pending();
        continue;
      }
      std::string n = it->path().filename().string();
      if (it->is_directory(ec) && (n == "logs" || n == "letsencrypt" || n == "custom_ssl" || n == "node_modules")) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec) && want(it->path()) && files.size() < 400) add(it->path());
    }
  }
}

}  // namespace

std::vector<Route> routes_of(const Container& proxy, ProxyKind kind, const Snapshot& snap,
                             std::vector<std::string>& read) {
  if (kind == ProxyKind::traefik) {
    read.push_back("Docker labels (traefik.http.*)");
    return routes_from_traefik_labels(snap);
  }
  std::vector<std::pair<std::string, std::string>> files;
  if (kind == ProxyKind::caddy) {
    for (const char* d : {"/etc/caddy", "/config", "/srv"}) gather(proxy, d, true, files, read);
    std::vector<Route> out;
    for (const auto& [name, text] : files) {
      auto r = routes_from_caddyfile(text, name);
      out.insert(out.end(), r.begin(), r.end());
    }
    return out;
  }
  for (const char* d : {"/etc/nginx", "/data/nginx", "/usr/local/openresty/nginx/conf", "/etc/openresty"})
    gather(proxy, d, false, files, read);
  return routes_from_nginx_files(files);
}

std::vector<std::string> log_files_of(const Container& proxy) {
  std::vector<std::string> out;
  for (const char* d : {"/data/logs", "/var/log/nginx", "/var/log/caddy", "/var/log/traefik"}) {
    std::string h = host_path(proxy, d);
    std::error_code ec;
    if (h.empty() || !fs::is_directory(h, ec)) continue;
    for (const auto& e : fs::directory_iterator(h, fs::directory_options::skip_permission_denied, ec)) {
      std::string n = e.path().filename().string();
      if (e.is_regular_file(ec) && (ends_with(n, "error.log") || (starts_with(std::string(d), "/var/log/caddy") && ends_with(n, ".log"))))
        out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gw502::docker
