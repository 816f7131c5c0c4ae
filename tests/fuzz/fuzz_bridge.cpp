// The Caddy bridge's request path on raw bytes: Boost.Beast's parser with the
// bridge's limits, request_info, Bridge::handle (classification of the
// X-Gw502-* error headers) and the response, exactly as a connection runs it
// (http.hpp's answer_bytes). The first input byte picks the limits.
// Oracles: no crash or sanitizer report; every answer is one well-formed
// HTTP/1.x response whose header names come from the bridge's fixed set and
// whose header values are printable ASCII without CR/LF: nothing from the
// request reaches the header block raw.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "bridge.hpp"
#include "http.hpp"

using namespace gw502::bridge;

namespace {

[[noreturn]] void fail(const char* what, const std::string& resp) {
  std::fprintf(stderr, "DIFF: %s\n%.*s\n", what, static_cast<int>(std::min<size_t>(resp.size(), 2000)),
               resp.data());
  std::abort();
}

Bridge& bridge(bool detail) {
  static std::unique_ptr<Bridge> plain, with_detail;
  auto& slot = detail ? with_detail : plain;
  if (!slot) {
    Config cfg;
    cfg.detail = detail;
    std::string err;
    slot = Bridge::create(cfg, err);
    if (!slot) std::abort();
  }
  return *slot;
}

bool value_ok(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

void check(const std::string& resp) {
  static const std::set<std::string, std::less<>> allowed = {
      "Server",       "Content-Type",   "Cache-Control", "X-Content-Type-Options",
      "X-Gw502-Cause", "X-Gw502-Rule", "Content-Length", "Connection"};
  if (resp.compare(0, 7, "HTTP/1.") != 0) fail("the answer is not an HTTP/1.x response", resp);
  size_t end = resp.find("\r\n\r\n");
  if (end == std::string::npos) fail("the header block does not end", resp);
  size_t pos = resp.find("\r\n") + 2;
  while (pos < end + 2) {
    size_t nl = resp.find("\r\n", pos);
    std::string_view line(resp.data() + pos, nl - pos);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) fail("a header line without a colon", resp);
    if (!allowed.count(line.substr(0, colon))) fail("a header name outside the bridge's set", resp);
    if (!value_ok(line.substr(colon + 1))) fail("a header value with a control or non-ASCII byte", resp);
    pos = nl + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 128 << 10) return 0;
  Limits lim;
  if (data[0] & 1) {  // small limits: the parser's limit paths
    lim.max_header_bytes = 256 + (data[0] >> 1) * 8;
    lim.max_body_bytes = data[0] >> 2;
  }
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string resp = answer_bytes(bridge((data[0] & 2) != 0), raw, lim);
  if (raw.empty() && resp.empty()) return 0;  // nothing sent, nothing answered
  check(resp);
  return 0;
}
