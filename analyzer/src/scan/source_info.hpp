// What a source is: its proxy and (NPM) site from its path and first bytes,
// and whether it is a log at all.
#pragma once
#include <string>
#include <string_view>

#include "core/types.hpp"
#include "decode/access_format.hpp"
#include "source/source.hpp"

namespace gw502 {

// Guesses proxy and site from a path: NPM's /data/logs/proxy-host-N_error.log
// and friends are NPM; everything else is nginx unless `forced` is set.
// Unless forced, every line is read in whatever supported format it is in
// (nginx, Caddy, Traefik); the events of Caddy and Traefik lines carry their
// proxy. refine_source() sets the source's proxy from its first bytes.
// `custom` (--access-format, may be null): lines in it count as recognised.
SourceInfo describe_source(const std::string& path, const ProxyKind* forced,
                           const AccessFormat* custom = nullptr);
void refine_source(SourceInfo& info, std::string_view head, const AccessFormat* custom = nullptr);

// Random bytes or an executable rather than a log: NUL bytes and many
// control characters in the first 8 KiB of content. NUL runs are holes, not
// content: a leading run (copytruncate under a writer that does not append)
// is skipped, and runs inside the block do not count. Decided on the
// leading NUL run (at most 1 MiB) and the 8 KiB after it alone: pass a
// mapped file whole, a stream through StreamHead (D11).
bool looks_binary(std::string_view head);

// A stream with its head read ahead: exactly the bytes looks_binary()
// decides on (or all of a shorter input), whatever the stream's reads or
// the chunks framed from it later. read() hands the head back first, then
// the rest of `src`; a read error met while reading the head comes after
// the head. The head is read once (8 KiB, more only behind a NUL hole).
class StreamHead final : public Source {
 public:
  explicit StreamHead(Source& src);
  std::string_view head() const { return head_; }
  long read(char* dst, size_t n, std::string& err) override;

 private:
  Source& src_;
  std::string head_;
  size_t pos_ = 0;       // bytes of the head handed back
  bool done_ = false;    // the input ended within the head
  bool failed_ = false;  // ...on a read error
  std::string error_;
};

}  // namespace gw502
