// What a source is: its proxy and (NPM) site from its path and first bytes,
// and whether it is a log at all.
#pragma once
#include <string>
#include <string_view>

#include "core/types.hpp"
#include "decode/access_format.hpp"

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
// is skipped, and runs inside the block do not count.
bool looks_binary(std::string_view head);

}  // namespace gw502
