// The bridge's logic, free of sockets: what one request from Caddy's
// handle_errors route gets back. Caddy sends the error text and status in
// request headers (see gw502.caddy); the answer carries the original status,
// X-Gw502-Cause and a short page. Nothing the request carries is ever copied
// into a response header, and by default nothing but the status reaches the
// page either.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge_metrics.hpp"

struct gw502_classifier;

namespace gw502::bridge {

// Request header names (the snippet's header_up lines).
inline constexpr std::string_view kErrMessageHeader = "X-Gw502-Err-Message";
inline constexpr std::string_view kErrStatusHeader = "X-Gw502-Err-Status";
inline constexpr std::string_view kHostHeader = "X-Gw502-Host";
// Response headers.
inline constexpr std::string_view kCauseHeader = "X-Gw502-Cause";
inline constexpr std::string_view kRuleHeader = "X-Gw502-Rule";  // stripped by the snippet

struct Config {
  bool detail = false;     // --detail: cause title and fix on the page
  std::string patterns;    // --patterns: extra catalogue file ("" = embedded only)
  size_t max_hosts = 100;  // distinct host label values before "other"
};

// What the server extracted from one parsed request. Absent headers are
// nullopt; a header present with an empty value is an empty view.
struct RequestInfo {
  std::string_view method;
  std::string_view target;
  std::optional<std::string_view> err_message;
  std::optional<std::string_view> err_status;
  std::optional<std::string_view> gw502_host;
  std::optional<std::string_view> forwarded_host;
  std::optional<std::string_view> host;
};

struct Reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string cause;  // X-Gw502-Cause when not empty
  std::string rule;   // X-Gw502-Rule when not empty
  bool close = false; // Connection: close
};

// The longest error text that is classified (Go error texts are short; the
// rest of an oversized one is ignored, like nginx's 2048-byte log lines).
inline constexpr size_t kMaxMessage = 8192;

// "502" -> 502. Exactly three digits in 400..599, optional surrounding
// blanks; anything else (missing, "0", "5O2", "502\r\nX: y") gives 502.
int parse_status(std::optional<std::string_view> v);
const char* reason_phrase(int status);

class Bridge {
 public:
  // Loads the catalogue (embedded plus cfg.patterns). On failure returns
  // nullptr and err holds one line.
  static std::unique_ptr<Bridge> create(const Config& cfg, std::string& err);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Answers one request and counts it. metrics_only: a --metrics-listen
  // address, which serves /metrics and /healthz and nothing else.
  Reply handle(const RequestInfo& rq, bool metrics_only = false);
  // The answer to a request the server could not parse (and counts it).
  Reply reject(Reject why);

  Metrics& metrics() { return metrics_; }
  const Config& config() const { return cfg_; }

  // Public for tests: the visitor's page for a status (and, with detail, a cause).
  std::string page(int status, const std::string& cause) const;

 private:
  struct CauseText {
    std::string id, title;
    std::vector<std::string> fix;
  };
  Bridge(const Config& cfg, gw502_classifier* c, std::vector<CauseText> causes);
  Reply error_reply(const RequestInfo& rq);
  const CauseText* find_cause(const std::string& id) const;

  Config cfg_;
  gw502_classifier* classifier_;
  std::vector<CauseText> causes_;
  Metrics metrics_;
  double start_time_;
};

}  // namespace gw502::bridge
