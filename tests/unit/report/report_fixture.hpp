// A catalogue, a classifier and an aggregator fed from strings: what the
// report tests render from.
#pragma once
#include <string>

#include "classify/classifier.hpp"
#include "helpers.hpp"
#include "report/report.hpp"
#include "scan/scanner.hpp"
#include "scan/source_info.hpp"

namespace gw502::test {

struct ReportFixture {
  Catalogue cat = test::mini_catalogue();
  Classifier cls{cat};
  Aggregator agg;
  RunSummary run;
  void scan(const std::string& name, const std::string& data) {
    ScanOptions opt;
    opt.naive_utc = true;  // the tests' times do not depend on the machine's zone
    Scanner s(cls, agg, nullptr, opt);
    StringSource src(data);
    run.sources.push_back(describe_source(name, nullptr));
    run.stats.emplace_back();
    s.scan(src, run.sources.back(), static_cast<uint32_t>(run.sources.size() - 1), run.stats.back(),
           run.problems);
  }
};

}  // namespace gw502::test
