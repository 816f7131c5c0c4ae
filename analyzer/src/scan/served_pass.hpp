// The status served to requests nginx retried. An access log in a format
// without $upstream_status (combined, common) shows a request that failed on
// one server of the pool and was then served by the next only as a 200 line:
// no literal marks it, so the scan does not read it, and the request's error
// entries would count as failures nobody saw. After every source has been
// scanned, read_served() re-reads the regular files that hold such access
// lines, looks only at the lines of requests whose error entry no access
// entry has explained (client and path), and hands those to the Aggregator
// as pair-only entries: one that pairs moves its request to retried_served
// (the tries before it with it); one that does not pair is dropped.
//
// Standard input and pipes cannot be read twice: their requests stay as the
// error entries say (the access log's $upstream_status, as NPM writes it,
// tells the same thing in one pass).
#pragma once
#include <cstdint>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "core/types.hpp"
#include "scan/scanner.hpp"

namespace gw502 {

struct ServedPassStats {
  uint64_t sources = 0;  // files re-read
  uint64_t lines = 0;    // access lines of an unexplained request handed over
};

// Whether read_served() would read this source again: a regular nginx file
// whose first lines (64 KiB) hold access lines.
bool served_pass_reads(const SourceInfo& info);

// sources[i] was scanned as source index i. Read errors go to problems.
ServedPassStats read_served(const Catalogue& cat, const ScanOptions& opt,
                            const std::vector<SourceInfo>& sources, Aggregator& agg,
                            std::vector<Problem>& problems);

}  // namespace gw502
