// Findings as text (the verdict first, then the evidence) and as JSON
// (`findings`: site, upstream, proxy_container, backend_container,
// root_cause, seed_cause, evidence [{fact, source}], fix). Returns strings;
// the caller prints.
#pragma once
#include <string>
#include <vector>

#include "docker/verdict.hpp"

namespace gw502::docker {

struct DockerRun {
  std::string socket;
  VersionInfo version;
  std::vector<std::string> proxies;      // "name (nginx)"
  std::vector<std::string> config_read;  // container paths read
  std::vector<std::string> notes;        // what could not be read
  bool check = false;                    // --check: configured routes, not failures
};

std::string render_text(const DockerRun& run, const std::vector<Finding>& findings);
std::string render_json(const DockerRun& run, const std::vector<Finding>& findings);

// "photos.example.com → immich:2283: SUMMARY; FIX" (one line).
std::string headline(const Finding& f);

}  // namespace gw502::docker
