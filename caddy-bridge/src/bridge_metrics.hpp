// Counters for /metrics (Prometheus text format 0.0.4) and the label
// hygiene they need: every label value is either one of ours (a catalogue id
// checked against [a-z0-9_]) or a host name reduced to a safe alphabet, and
// the number of distinct hosts is bounded, so a visitor who sends random Host
// headers cannot grow the bridge's memory or the scrape.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace gw502::bridge {

// "example.com:8443" -> "example.com", "[::1]:80" -> "[::1]", "A.Example." ->
// "a.example"; an empty value gives "none", a value with anything outside
// [a-z0-9.-_] (or the bracketed IPv6 form) or over 253 bytes gives "invalid".
// Only the first entry of a comma-separated list (X-Forwarded-Host) counts.
std::string sanitize_host(std::string_view raw);

// A catalogue id for a header or a label: [a-z0-9_], at most 64 bytes, else
// `fallback`. (The ids come from our catalogue, but --patterns may add any.)
std::string sanitize_id(std::string_view id, std::string_view fallback);
// A rule id: [A-Za-z0-9_.-], at most 64 bytes, else empty.
std::string sanitize_rule(std::string_view id);

// Why the server dropped or refused a request before the bridge answered it.
enum class Reject : uint8_t {
  bad_request = 0,      // not HTTP/1.x the parser accepts (CR/LF tricks, NUL, garbage)
  header_too_large,     // request line + headers over --max-header-bytes
  body_too_large,       // a body over the small limit (Caddy sends none)
  timeout,              // a request not received within --timeout (slow client)
  too_many_connections  // over --max-connections: closed at once
};
constexpr size_t kRejectReasons = 5;
const char* reject_name(Reject r);

enum class Kind : uint8_t { error = 0, metrics, healthz, not_found, method_not_allowed };
constexpr size_t kKinds = 5;
const char* kind_name(Kind k);

class Metrics {
 public:
  explicit Metrics(size_t max_hosts) : max_hosts_(max_hosts) {}

  // Counts one upstream failure. `cause` must already be sanitised; `host` is
  // the raw header value. Returns the host label used.
  const std::string& count_error(const std::string& cause, std::string_view raw_host);
  void count_request(Kind k) { ++requests_[static_cast<size_t>(k)]; }
  void count_reject(Reject r) { ++rejects_[static_cast<size_t>(r)]; }
  void connection_opened() { ++open_; ++accepted_; }
  void connection_closed() {
    if (open_) --open_;
  }
  uint64_t open_connections() const { return open_; }
  uint64_t errors(const std::string& cause, const std::string& host) const;
  uint64_t rejects(Reject r) const { return rejects_[static_cast<size_t>(r)]; }
  size_t distinct_hosts() const { return hosts_.size(); }

  // The whole exposition, deterministic order (sorted by cause, then host).
  std::string render(std::string_view version, double start_time) const;

 private:
  const std::string& host_label(std::string_view raw);

  size_t max_hosts_;
  std::unordered_map<std::string, std::string> hosts_;  // sanitised -> itself (bounded)
  std::map<std::pair<std::string, std::string>, uint64_t> errors_;
  uint64_t requests_[kKinds] = {};
  uint64_t rejects_[kRejectReasons] = {};
  uint64_t host_overflow_ = 0;
  uint64_t open_ = 0;
  uint64_t accepted_ = 0;
};

}  // namespace gw502::bridge
