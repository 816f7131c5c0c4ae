#include "docker/render.hpp"

#include "base/json_writer.hpp"

#include <cstdio>

namespace gw502::docker {
namespace {

// A JSON string, escaped and made valid UTF-8 (base/json_writer).
std::string q(const std::string& s) {
  std::string out;
  json_string(out, s);
  return out;
}

// Control characters from logs and labels never reach the terminal.
std::string safe(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : char(c);
  return out;
}

}  // namespace

std::string headline(const Finding& f) {
  std::string site = f.site.empty() || f.site == "-" ? std::string("(any site)") : f.site;
  std::string up = f.upstream;
  if (!f.configured_upstream.empty() && f.configured_upstream != up && up.find(f.configured_upstream) == std::string::npos)
    up = f.configured_upstream + " (" + up + ")";
  std::string s = site + " \u2192 " + up + ": " + f.summary;
  if (!f.fix.empty()) s += "; " + f.fix;
  return s;
}

std::string render_text(const DockerRun& run, const std::vector<Finding>& findings) {
  std::string out;
  out += "Docker " + run.version.version + " (API " + run.version.api_version + ") at " + run.socket + "\n";
  if (run.proxies.empty()) out += "no proxy container found\n";
  else {
    out += "proxy containers: ";
    for (size_t i = 0; i < run.proxies.size(); ++i) out += (i ? ", " : "") + run.proxies[i];
    out += "\n";
  }
  if (findings.empty())
    out += run.check ? "no configured upstream found to check\n" : "no upstream failure in the proxies' logs\n";
  out += "\n";
  for (const auto& f : findings) {
    out += "[" + std::string(root_cause_id(f.cause)) + "] " + safe(headline(f)) + "\n";
    out += "  proxy " + f.proxy_container;
    if (!f.backend_container.empty()) out += ", backend " + f.backend_container;
    if (seed_cause(f.cause)) out += ", field guide cause " + std::to_string(seed_cause(f.cause));
    if (!f.log_cause.empty()) out += ", log: " + f.log_cause + " x" + std::to_string(f.count);
    out += "\n";
    for (const auto& e : f.evidence) out += "  - " + safe(e.fact) + "  [" + safe(e.source) + "]\n";
    out += "\n";
  }
  for (const auto& n : run.notes) out += "note: " + safe(n) + "\n";
  return out;
}

std::string render_json(const DockerRun& run, const std::vector<Finding>& findings) {
  std::string out = "{\n  \"docker\": {\"socket\": " + q(run.socket) + ", \"version\": " + q(run.version.version) +
                    ", \"api_version\": " + q(run.version.api_version) + "},\n  \"mode\": " +
                    q(run.check ? "check" : "logs") + ",\n  \"proxy_containers\": [";
  for (size_t i = 0; i < run.proxies.size(); ++i) out += (i ? ", " : "") + q(run.proxies[i]);
  out += "],\n  \"config_read\": [";
  for (size_t i = 0; i < run.config_read.size(); ++i) out += (i ? ", " : "") + q(run.config_read[i]);
  out += "],\n  \"notes\": [";
  for (size_t i = 0; i < run.notes.size(); ++i) out += (i ? ", " : "") + q(run.notes[i]);
  out += "],\n  \"findings\": [";
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    out += i ? ",\n    {" : "\n    {";
    out += "\"site\": " + q(f.site) + ", \"upstream\": " + q(f.upstream) + ", \"configured_upstream\": " +
           (f.configured_upstream.empty() ? "null" : q(f.configured_upstream)) + ", \"proxy_container\": " +
           q(f.proxy_container) + ", \"backend_container\": " + (f.backend_container.empty() ? "null" : q(f.backend_container)) +
           ", \"root_cause\": " + q(root_cause_id(f.cause)) + ", \"seed_cause\": " +
           (seed_cause(f.cause) ? std::to_string(seed_cause(f.cause)) : std::string("null")) +
           ", \"summary\": " + q(f.summary) + ", \"fix\": " + q(f.fix) + ", \"log_cause\": " +
           (f.log_cause.empty() ? "null" : q(f.log_cause)) + ", \"count\": " + std::to_string(f.count) +
           ", \"evidence\": [";
    for (size_t j = 0; j < f.evidence.size(); ++j)
      out += (j ? ", " : "") + std::string("{\"fact\": ") + q(f.evidence[j].fact) + ", \"source\": " + q(f.evidence[j].source) + "}";
    out += "]}";
  }
  out += findings.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace gw502::docker
