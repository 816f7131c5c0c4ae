#include "docker_cli.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include "docker/engine.hpp"
#include "docker/model.hpp"
#include "docker/proxy_config.hpp"
#include "docker/render.hpp"
#include "docker/verdict.hpp"
#include "scan/pipeline.hpp"
#include "source/source.hpp"

namespace gw502::cli {
namespace {

using namespace gw502::docker;

// A container's log text, handed to the pipeline like a pipe.
class TextSource final : public Source {
 public:
  explicit TextSource(std::string text) : text_(std::move(text)) {}
  long read(char* dst, size_t n, std::string&) override {
    size_t k = std::min(n, text_.size() - pos_);
    std::memcpy(dst, text_.data() + pos_, k);
    pos_ += k;
    return static_cast<long>(k);
  }

 private:
  std::string text_;
  size_t pos_ = 0;
};

// "2026-12-03T13:49:02.382461865Z text" -> "text"
std::string strip_timestamp(std::string line) {
  if (line.size() > 20 && line[4] == '-' && line[10] == 'T') {
    size_t sp = line.find(' ');
    if (sp != std::string::npos) line.erase(0, sp + 1);
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

bool load_snapshot(const Engine& engine, Snapshot& snap, std::string& err) {
  std::string json;
  if (!engine.version(json, err) || !parse_version(json, snap.version, err)) return false;
  std::vector<std::string> ids;
  if (!engine.containers(json, err) || !parse_container_ids(json, ids, err)) return false;
  for (const auto& id : ids) {
    std::string one, why;
    Container c;
    if (!engine.inspect(id, one, why)) continue;  // removed in between
    if (parse_container(one, c, why)) snap.containers.push_back(std::move(c));
  }
  snap.host_addresses = host_addresses();  // the socket is a local one: this is the Docker host
  snap.host_name = host_name();
  return engine.networks(json, err) && parse_networks(json, snap.networks, err);
}

}  // namespace

int run_docker(const RunConfig& cfg, const DockerOptions& opt) {
  std::string socket, err;
  if (!socket_from_docker_host(std::getenv("DOCKER_HOST"), socket, err)) return print_error(err);
  Engine engine(socket);
  Snapshot snap;
  if (!load_snapshot(engine, snap, err)) return print_error(err);

  DockerRun run;
  run.socket = socket;
  run.version = snap.version;
  run.check = opt.check;
  std::vector<std::pair<const Container*, ProxyKind>> proxies;
  for (const auto& c : snap.containers) {
    ProxyKind kind = ProxyKind::nginx;
    bool is_proxy = looks_like_proxy(c, kind);
    if (!opt.container.empty()) {
      if (c.name != opt.container && c.id.rfind(opt.container, 0) != 0) continue;
    } else if (!is_proxy) {
      continue;
    }
    if (cfg.proxy) kind = *cfg.proxy;
    proxies.push_back({&c, kind});
  }
  if (!opt.container.empty() && proxies.empty()) return print_error("--container " + opt.container + ": no such container");

  Probes probes = proc_probes();
  probes.last_log_line = [&](const Container& c) {
    std::string text, why;
    if (!engine.logs(c.id, 0, 1, c.tty, text, why)) return std::string();
    return strip_timestamp(text);
  };

  std::vector<Finding> findings;
  bool problems = false;
  Pipeline pipeline(cfg.catalogue, 1, cfg.scan);
  if (!pipeline.ok()) return print_error(pipeline.error());
  const auto& causes = cfg.catalogue.causes();

  for (const auto& [proxy, kind] : proxies) {
    run.proxies.push_back(proxy->name + " (" + proxy_name(kind) + ")");
    std::vector<std::string> read;
    std::vector<Route> routes = routes_of(*proxy, kind, snap, read);
    for (const auto& r : read) run.config_read.push_back(proxy->name + ":" + r);

    std::vector<Failure> failures;
    if (opt.check) {
      for (const auto& r : routes) {
        Failure f;
        f.site = r.site;
        f.upstream = (r.upstream.scheme.empty() ? "" : r.upstream.scheme + "://") + r.upstream.host_port();
        bool dup = std::any_of(failures.begin(), failures.end(),
                               [&](const Failure& x) { return x.site == f.site && x.upstream == f.upstream; });
        if (!dup) failures.push_back(f);
      }
    } else {
      Aggregator agg;
      ScanStats stats;
      std::vector<Problem> probs;
      std::string text;
      int64_t since = cfg.scan.since == INT64_MIN ? 0 : cfg.scan.since;
      if (!engine.logs(proxy->id, since, 0, proxy->tty, text, err)) {
        run.notes.push_back(proxy->name + ": logs not read: " + err);
        problems = true;
      } else {
        TextSource src(std::move(text));
        SourceInfo info;
        info.name = "container " + proxy->name;
        info.proxy = kind;
        pipeline.scan(src, info, 0, agg, stats, probs, nullptr);
      }
      for (const auto& path : log_files_of(*proxy)) {
        std::string why;
        auto src = open_source(path, why);
        if (!src) {
          run.notes.push_back(path + ": " + why);
          continue;
        }
        SourceInfo info;
        info.name = path;
        info.proxy = kind;
        pipeline.scan(*src, info, 1, agg, stats, probs, nullptr);
        run.config_read.push_back(proxy->name + ": log file " + path);
      }
      for (const auto& p : probs) run.notes.push_back(p.source + (p.line ? ":" + std::to_string(p.line) : "") + ": " + p.message);
      // One finding per (site, upstream): the cause seen most.
      struct Acc {
        Failure f;
        uint64_t best = 0;
      };
      std::map<std::pair<std::string, std::string>, Acc> by;
      std::vector<std::pair<std::string, std::string>> order;
      for (const auto& g : agg.groups()) {
        if (g.cause < 0 || !causes[size_t(g.cause)].counts_as_failure) continue;
        std::string host(agg.str(g.host)), site(agg.str(g.site)), up(agg.str(g.upstream));
        std::string s = !host.empty() && host != "-" ? host : site;
        if (up.empty() || up == "-") {  // the site's one configured upstream, if any
          std::vector<const Route*> rs;
          for (const auto& r : routes)
            if (!s.empty() && (r.site == s || std::find(r.sites.begin(), r.sites.end(), s) != r.sites.end())) rs.push_back(&r);
          if (rs.size() != 1) continue;
          up = rs[0]->upstream.host_port();
        }
        auto key = std::make_pair(s, up);
        auto it = by.find(key);
        if (it == by.end()) {
          order.push_back(key);
          it = by.emplace(key, Acc{}).first;
          it->second.f.site = s;
          it->second.f.upstream = up;
        }
        it->second.f.count += g.count;
        // Only times with a zone (Caddy's, Traefik's) are set against the
        // daemon's UTC times: nginx's have none, and a container's zone is
        // its own.
        if (g.utc && g.first != INT64_MAX && (it->second.f.first == INT64_MIN || g.first < it->second.f.first))
          it->second.f.first = g.first;
        if (g.utc && g.last != INT64_MIN) it->second.f.last = std::max(it->second.f.last, g.last);
        if (g.count > it->second.best) {
          it->second.best = g.count;
          it->second.f.log_cause = causes[size_t(g.cause)].id;
          if (!g.samples.empty()) it->second.f.sample = agg.sample_text(g.samples.front());
        }
      }
      for (const auto& k : order) failures.push_back(by[k].f);
    }
    for (const auto& f : failures) findings.push_back(diagnose(snap, *proxy, kind, f, routes, probes));
  }

  if (!write_report(cfg, cfg.format == Format::json ? render_json(run, findings) : render_text(run, findings))) return 2;
  std::fflush(stdout);
  if (problems) return 2;
  bool bad = std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.cause != RootCause::ok; });
  return bad ? 1 : 0;
}

}  // namespace gw502::cli
