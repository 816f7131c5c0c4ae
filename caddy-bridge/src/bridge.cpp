#include "bridge.hpp"

#include <chrono>
#include <cstdio>

#include "base/html_escape.hpp"
#include "catalogue/catalogue.hpp"
#include "gw502/gw502.h"

namespace gw502::bridge {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view path_of(std::string_view target) {
  size_t q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

const char* visitor_sentence(int status) {
  switch (status) {
    case 502:
      return "The server could not get a valid answer from the application behind it. "
             "Please try again in a moment.";
    case 503:
      return "The application behind this server is not available right now. "
             "Please try again in a moment.";
    case 504:
      return "The application behind this server took too long to answer. "
             "Please try again in a moment.";
    default:
      return "The server could not complete this request.";
  }
}

}  // namespace

int parse_status(std::optional<std::string_view> v) {
  if (!v) return 502;
  std::string_view s = trim(*v);
  if (s.size() != 3) return 502;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 502;
    n = n * 10 + (c - '0');
  }
  return (n >= 400 && n <= 599) ? n : 502;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status >= 500 ? "Server Error" : "Client Error";
  }
}


std::unique_ptr<Bridge> Bridge::create(const Config& cfg, std::string& err) {
  char buf[1024] = "";
  const char* path = cfg.patterns.empty() ? nullptr : cfg.patterns.c_str();
  gw502_classifier* c = gw502_classifier_new(path, buf, sizeof buf);
  if (!c) {
    err = buf[0] ? buf : "cannot load the catalogue";
    return nullptr;
  }
  // Titles and fixes for --detail pages come from the same catalogue files.
  std::vector<CauseText> causes;
  try {
    Catalogue cat;
    std::vector<std::string> files;
    if (path) files.emplace_back(path);
    std::string why;
    if (!cat.load(files, why)) {
      gw502_classifier_free(c);
      err = why;
      return nullptr;
    }
    for (const Cause& k : cat.causes()) {
      CauseText t;
      t.id = k.id;
      t.title = k.title;
      t.fix = k.fix[static_cast<size_t>(ProxyKind::caddy)];
      causes.push_back(std::move(t));
    }
  } catch (const std::exception& e) {
    gw502_classifier_free(c);
    err = e.what();
    return nullptr;
  }
  return std::unique_ptr<Bridge>(new Bridge(cfg, c, std::move(causes)));
}

Bridge::Bridge(const Config& cfg, gw502_classifier* c, std::vector<CauseText> causes)
    : cfg_(cfg), classifier_(c), causes_(std::move(causes)), metrics_(cfg.max_hosts) {
  start_time_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                    .count();
}

Bridge::~Bridge() { gw502_classifier_free(classifier_); }

const Bridge::CauseText* Bridge::find_cause(const std::string& id) const {
  for (const CauseText& c : causes_)
    if (c.id == id) return &c;
  return nullptr;
}

std::string Bridge::page(int status, const std::string& cause) const {
  char head[96];
  std::snprintf(head, sizeof head, "%d %s", status, reason_phrase(status));
  std::string p;
  p.reserve(640);
  p += "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>";
  p += head;
  p += "</title></head>\n<body>\n<h1>";
  p += head;
  p += "</h1>\n<p>";
  p += visitor_sentence(status);
  p += "</p>\n";
  if (cfg_.detail && !cause.empty()) {
    const CauseText* c = find_cause(cause);
    p += "<hr>\n<p>Cause (gw502): <code>";
    p += html_escaped(cause);
    p += "</code>";
    if (c && !c->title.empty()) {
      p += " &mdash; ";
      p += html_escaped(c->title);
    }
    p += "</p>\n";
    if (c && !c->fix.empty()) {
      p += "<p>What to check in Caddy:</p>\n<ul>\n";
      for (const std::string& f : c->fix) {
        p += "<li>";
        p += html_escaped(f);
        p += "</li>\n";
      }
      p += "</ul>\n";
    }
  }
  p += "</body>\n</html>\n";
  return p;
}

Reply Bridge::error_reply(const RequestInfo& rq) {
  Reply r;
  r.status = parse_status(rq.err_status);
  std::string_view msg = rq.err_message ? trim(*rq.err_message) : std::string_view{};
  if (msg.size() > kMaxMessage) msg = msg.substr(0, kMaxMessage);
  if (msg.empty()) {
    r.cause = "unexplained";  // a failure reached us, but nothing says why
  } else {
    gw502_result res{};
    if (gw502_classify(classifier_, GW502_CADDY, msg.data(), msg.size(), &res) == 1 && res.cause) {
      r.cause = sanitize_id(res.cause, "unclassified");
      if (res.rule) r.rule = sanitize_rule(res.rule);
    } else {
      r.cause = "unclassified";
    }
  }
  std::string_view host;
  if (rq.gw502_host && !trim(*rq.gw502_host).empty()) host = *rq.gw502_host;
  else if (rq.forwarded_host && !trim(*rq.forwarded_host).empty()) host = *rq.forwarded_host;
  else if (rq.host) host = *rq.host;
  metrics_.count_error(r.cause, host);
  metrics_.count_request(Kind::error);
  r.content_type = "text/html; charset=utf-8";
  r.body = page(r.status, r.cause);
  return r;
}

Reply Bridge::handle(const RequestInfo& rq, bool metrics_only) {
  // A request that carries the error headers is an error, whatever its path:
  // a visitor's URL never selects /metrics through the error route.
  if (!metrics_only && (rq.err_message || rq.err_status)) return error_reply(rq);
  std::string_view path = path_of(rq.target);
  bool get = rq.method == "GET" || rq.method == "HEAD";
  Reply r;
  if (path == "/healthz" || path == "/metrics") {
    if (!get) {
      metrics_.count_request(Kind::method_not_allowed);
      r.status = 405;
      r.body = "method not allowed\n";
      return r;
    }
    if (path == "/healthz") {
      metrics_.count_request(Kind::healthz);
      r.body = "ok\n";
      return r;
    }
    metrics_.count_request(Kind::metrics);
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.render(gw502_version(), start_time_);
    return r;
  }
  if (path == "/gw502/error" && !metrics_only) return error_reply(rq);  // no headers at all: unexplained
  metrics_.count_request(Kind::not_found);
  r.status = 404;
  r.body = "not found\n";
  return r;
}

Reply Bridge::reject(Reject why) {
  metrics_.count_reject(why);
  Reply r;
  r.close = true;
  switch (why) {
    case Reject::header_too_large: r.status = 431; break;
    case Reject::body_too_large: r.status = 413; break;
    case Reject::timeout: r.status = 408; break;
    default: r.status = 400; break;
  }
  // Generic words: under Caddy's replace_status a visitor may see this page
  // with the original status.
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Error</title>"
      "</head>\n<body>\n<h1>Error</h1>\n<p>The server could not complete this request.</p>\n"
      "</body>\n</html>\n";
  return r;
}

}  // namespace gw502::bridge
