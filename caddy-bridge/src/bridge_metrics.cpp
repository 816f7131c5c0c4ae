#include "bridge_metrics.hpp"

#include <cstdio>

namespace gw502::bridge {
namespace {

const std::string kNone = "none";
const std::string kInvalid = "invalid";
const std::string kOther = "other";

bool is_host_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool is_hex_or_colon(unsigned char c) {
  return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Prometheus label values: backslash, double quote and line feed escaped.
// Ours never contain them, but the renderer does not rely on that.
void append_label(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void append_u64(std::string& out, uint64_t v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  out.append(buf, static_cast<size_t>(n));
}

}  // namespace

std::string sanitize_host(std::string_view raw) {
  std::string_view s = raw;
  size_t comma = s.find(',');
  if (comma != std::string_view::npos) s = s.substr(0, comma);
  s = trim(s);
  if (s.empty()) return kNone;
  if (s.size() > 300) return kInvalid;
  std::string lower;
  lower.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    lower += static_cast<char>(u >= 'A' && u <= 'Z' ? u + 32 : u);
  }
  std::string_view h = lower;
  if (!h.empty() && h.front() == '[') {  // [v6]:port or [v6]
    size_t close = h.find(']');
    if (close == std::string_view::npos) return kInvalid;
    std::string_view rest = h.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return kInvalid;
    std::string_view inner = h.substr(1, close - 1);
    if (inner.empty() || inner.size() > 45) return kInvalid;
    for (char c : inner)
      if (!is_hex_or_colon(static_cast<unsigned char>(c))) return kInvalid;
    return std::string(h.substr(0, close + 1));
  }
  size_t colon = h.find(':');
  if (colon != std::string_view::npos) {
    if (h.find(':', colon + 1) != std::string_view::npos) return kInvalid;  // bare IPv6: not a Host
    if (!all_digits(h.substr(colon + 1))) return kInvalid;
    h = h.substr(0, colon);
  }
  while (!h.empty() && h.back() == '.') h.remove_suffix(1);  // "example.com." is example.com
  if (h.empty() || h.size() > 253) return kInvalid;
  for (char c : h)
    if (!is_host_char(static_cast<unsigned char>(c))) return kInvalid;
  return std::string(h);
}

std::string sanitize_id(std::string_view id, std::string_view fallback) {
  if (id.empty() || id.size() > 64) return std::string(fallback);
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return std::string(fallback);
  }
  return std::string(id);
}

std::string sanitize_rule(std::string_view id) {
  if (id.empty() || id.size() > 64) return {};
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return {};
  }
  return std::string(id);
}

const char* reject_name(Reject r) {
  switch (r) {
    case Reject::bad_request: return "bad_request";
    case Reject::header_too_large: return "header_too_large";
    case Reject::body_too_large: return "body_too_large";
    case Reject::timeout: return "timeout";
    case Reject::too_many_connections: return "too_many_connections";
  }
  return "unknown";
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::error: return "error";
    case Kind::metrics: return "metrics";
    case Kind::healthz: return "healthz";
    case Kind::not_found: return "not_found";
    case Kind::method_not_allowed: return "method_not_allowed";
  }
  return "unknown";
}

const std::string& Metrics::host_label(std::string_view raw) {
  std::string h = sanitize_host(raw);
  if (h == kNone) return kNone;
  if (h == kInvalid) return kInvalid;
  auto it = hosts_.find(h);
  if (it != hosts_.end()) return it->second;
  if (hosts_.size() >= max_hosts_) {
    ++host_overflow_;
    return kOther;
  }
  auto ins = hosts_.emplace(h, h);
  return ins.first->second;
}

const std::string& Metrics::count_error(const std::string& cause, std::string_view raw_host) {
  const std::string& host = host_label(raw_host);
  ++errors_[{cause, host}];
  return host;
}

uint64_t Metrics::errors(const std::string& cause, const std::string& host) const {
  auto it = errors_.find({cause, host});
  return it == errors_.end() ? 0 : it->second;
}

std::string Metrics::render(std::string_view version, double start_time) const {
  std::string out;
  out.reserve(1024 + errors_.size() * 96);
  out +=
      "# HELP gw502_errors_total Upstream failures Caddy handed to the bridge, by gw502 cause and "
      "site host.\n"
      "# TYPE gw502_errors_total counter\n";
  for (const auto& [key, n] : errors_) {
    out += "gw502_errors_total{cause=\"";
    append_label(out, key.first);
    out += "\",host=\"";
    append_label(out, key.second);
    out += "\"} ";
    append_u64(out, n);
    out += '\n';
  }
  out +=
      "# HELP gw502_bridge_requests_total Requests the bridge answered, by kind.\n"
      "# TYPE gw502_bridge_requests_total counter\n";
  for (size_t k = 0; k < kKinds; ++k) {
    out += "gw502_bridge_requests_total{kind=\"";
    out += kind_name(static_cast<Kind>(k));
    out += "\"} ";
    append_u64(out, requests_[k]);
    out += '\n';
  }
  out +=
      "# HELP gw502_bridge_rejected_total Requests refused or connections dropped before an "
      "answer, by reason.\n"
      "# TYPE gw502_bridge_rejected_total counter\n";
  for (size_t r = 0; r < kRejectReasons; ++r) {
    out += "gw502_bridge_rejected_total{reason=\"";
    out += reject_name(static_cast<Reject>(r));
    out += "\"} ";
    append_u64(out, rejects_[r]);
    out += '\n';
  }
  out +=
      "# HELP gw502_bridge_host_overflow_total Failures counted under host=\"other\" because the "
      "distinct-host limit was reached.\n"
      "# TYPE gw502_bridge_host_overflow_total counter\n"
      "gw502_bridge_host_overflow_total ";
  append_u64(out, host_overflow_);
  out +=
      "\n# HELP gw502_bridge_connections_accepted_total Connections accepted.\n"
      "# TYPE gw502_bridge_connections_accepted_total counter\n"
      "gw502_bridge_connections_accepted_total ";
  append_u64(out, accepted_);
  out +=
      "\n# HELP gw502_bridge_open_connections Connections open now.\n"
      "# TYPE gw502_bridge_open_connections gauge\n"
      "gw502_bridge_open_connections ";
  append_u64(out, open_);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", start_time);
  out +=
      "\n# HELP gw502_bridge_start_time_seconds Start time of the bridge, seconds since the "
      "epoch.\n"
      "# TYPE gw502_bridge_start_time_seconds gauge\n"
      "gw502_bridge_start_time_seconds ";
  out += buf;
  out +=
      "\n# HELP gw502_bridge_build_info The bridge's gw502 version.\n"
      "# TYPE gw502_bridge_build_info gauge\n"
      "gw502_bridge_build_info{version=\"";
  append_label(out, version);
  out += "\"} 1\n";
  return out;
}

}  // namespace gw502::bridge
