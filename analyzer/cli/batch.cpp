#include "batch.hpp"

#include <cstdio>

#include "catalogue/export.hpp"
#include "glob.hpp"
#include "second_pass.hpp"
#include "report/events.hpp"
#include "scan/pipeline.hpp"
#include "scan/served_pass.hpp"
#include "scan/source_info.hpp"
#include "source/file_range.hpp"
#include "source/source.hpp"
#include "terminal_text.hpp"

namespace gw502::cli {
namespace {

int run_report(const RunConfig& cfg) {
  const Catalogue& cat = cfg.catalogue;
  std::vector<std::string> inputs;
  for (const auto& a : cfg.inputs)
    for (auto& p : expand_input(a)) inputs.push_back(std::move(p));

  // Samples of plain files are kept by reference and read back for the
  // report: a fleet's thousands of groups do not each hold their lines.
  ScanOptions scan = cfg.scan;
  scan.sample_refs = true;
  Pipeline pipeline(cat, cfg.threads, scan);
  if (!pipeline.ok()) return print_error(pipeline.error());
  Aggregator agg;
  std::vector<std::string> paths;  // by source index
  std::vector<ScannedInput> scanned;  // by source index, for a second pass
  FileRanges ranges;
  const Aggregator::SampleReader reader = [&](uint32_t source, uint64_t offset, size_t len, std::string& out) {
    return source < paths.size() && ranges.read(source, paths[source], offset, len, out);
  };
  agg.set_sample_reader(reader);
  NdjsonEvents events(
      cat, [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }, cfg.report.redact);
  RunSummary run;
  // Every input's first lines before any is read: a run of nginx error logs
  // only records no error entries for pairing (second_pass.hpp).
  std::vector<SourceInfo> infos;
  for (const auto& path : inputs)
    infos.push_back(describe_source(path, cfg.proxy ? &*cfg.proxy : nullptr, cfg.scan.access_format.get()));
  agg.set_pairing(pairing_needed(infos, cfg.scan));
  for (size_t k = 0; k < inputs.size(); ++k) {
    const std::string& path = inputs[k];
    std::string why;
    ScannedInput seen = describe_input(path);
    const SourceInfo& info = infos[k];
    auto src = open_source(path, why);
    if (!src) {
      run.problems.push_back({path, 0, why});
      continue;
    }
    auto index = static_cast<uint32_t>(run.sources.size());
    run.sources.push_back(info);
    paths.push_back(path);
    run.stats.emplace_back();
    const size_t problems_before = run.problems.size();
    pipeline.scan(*src, run.sources.back(), index, agg, run.stats.back(), run.problems,
                  cfg.events ? &events : nullptr);
    ranges.keep(index, src->dup_map_fd());  // its samples read from this file, even once rotated
    scanned.push_back(std::move(seen));
    if (run.sources.back().unrecognised && run.stats.back().events == 0 &&
        run.problems.size() == problems_before)
      run.problems.push_back({path, 0,
                              cfg.scan.access_format
                                  ? "none of its first lines is in the --access-format given, nor a log line of "
                                    "nginx, NPM, Traefik or Caddy; no failures could be read from it"
                                  : "none of its first lines is a log line of nginx, NPM, Traefik or Caddy "
                                    "(a custom log_format: see --access-format; nginx's JSON access log? not a log?); "
                                    "no failures could be read from it"});
  }
  {
    std::string why;
    if (!rescan_paired(pipeline, scanned, run, reader, agg, why))
      std::fprintf(stderr,
                   "gw502-logs: note: access entries were found in logs that began as nginx error logs, and "
                   "pairing them with their error entries needs a second read, which failed: %s; a request "
                   "may be counted twice\n",
                   why.c_str());
  }
  // Requests nginx retried and served: their 200 lines in a combined access
  // log (scan/served_pass.hpp).
  read_served(cat, cfg.scan, run.sources, agg, run.problems);
  // Keys past the group cap that may be heavy: counted exact by a second
  // pass (second_pass.hpp); the report says when it could not run.
  {
    std::string why;
    // --events prints no report: nothing for a second pass to make exact.
    if (!cfg.events && !rescan_heavy(cat, cfg.scan, pipeline, scanned, run, reader, agg, why))
      std::fprintf(stderr, "gw502-logs: note: frequent keys among \"(others)\" not made exact: %s\n",
                   why.c_str());
  }
  for (const auto& p : run.problems) print_problem(p);
  // Nothing could be read at all: the errors say why; no report that reads
  // like an all-clear.
  if (run.sources.empty() && !run.problems.empty()) return 2;
  if (!write_report(cfg, final_report(cfg, agg, run))) return 2;
  std::fflush(stdout);
  return exit_status(cfg, agg, run.problems);
}

}  // namespace

int run_batch(const RunConfig& cfg) {
  const Catalogue& cat = cfg.catalogue;
  switch (cfg.mode) {
    case Mode::list_causes:
      return write_report(cfg, mask_c1_bidi(render_cause_list(cat))) ? 0 : 2;
    case Mode::export_patterns:
      return write_report(cfg, export_patterns(cat, family_of(cfg.export_proxy))) ? 0 : 2;
    case Mode::list_rules:
      return write_report(cfg, mask_c1_bidi(render_rule_list(cat))) ? 0 : 2;
    case Mode::explain: {
      const int proxy = cfg.explain_proxy ? static_cast<int>(*cfg.explain_proxy) : -1;
      return write_report(cfg, mask_c1_bidi(render_explain(cat, cfg.explain_cause, proxy))) ? 0 : 2;
    }
    case Mode::report:
    case Mode::follow:
      break;
  }
  // A file truncated while mapped (D3) is the source layer's business: it
  // reads the lost pages as zeros and reports the file; no handler here.
  return run_report(cfg);
}

}  // namespace gw502::cli
