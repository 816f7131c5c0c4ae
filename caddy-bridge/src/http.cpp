#include "http.hpp"

#include <boost/asio/buffer.hpp>
#include <optional>
#include <sstream>

namespace gw502::bridge {
namespace {

std::optional<std::string_view> header(const Request& req, std::string_view name) {
  auto it = req.find(boost::beast::string_view(name.data(), name.size()));
  if (it == req.end()) return std::nullopt;
  boost::beast::string_view v = it->value();
  return std::string_view(v.data(), v.size());
}

std::string_view sv(boost::beast::string_view v) { return std::string_view(v.data(), v.size()); }

}  // namespace

RequestInfo request_info(const Request& req) {
  RequestInfo info;
  info.method = sv(req.method_string());
  info.target = sv(req.target());
  info.err_message = header(req, kErrMessageHeader);
  info.err_status = header(req, kErrStatusHeader);
  info.gw502_host = header(req, kHostHeader);
  info.forwarded_host = header(req, "X-Forwarded-Host");
  info.host = header(req, "Host");
  return info;
}

Response build_response(const Reply& r, unsigned version, bool keep_alive, bool head) {
  Response res;
  res.version(version == 10 ? 10 : 11);
  res.result(static_cast<unsigned>(r.status));
  res.reason(reason_phrase(r.status));
  res.set(http::field::server, "gw502-caddy-bridge");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  if (!r.cause.empty()) res.set(boost::beast::string_view(kCauseHeader.data(), kCauseHeader.size()), r.cause);
  if (!r.rule.empty()) res.set(boost::beast::string_view(kRuleHeader.data(), kRuleHeader.size()), r.rule);
  if (head) {
    res.content_length(r.body.size());
  } else {
    res.body() = r.body;
    res.prepare_payload();
  }
  res.keep_alive(keep_alive && !r.close);
  return res;
}

bool is_parse_error(const boost::beast::error_code& ec, Reject& why) {
  static const boost::system::error_category& http_cat =
      make_error_code(http::error::end_of_stream).category();
  if (&ec.category() != &http_cat) return false;
  if (ec == http::error::end_of_stream) return false;  // clean close between requests
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
    why = Reject::header_too_large;
  else if (ec == http::error::body_limit)
    why = Reject::body_too_large;
  else
    why = Reject::bad_request;
  return true;
}

std::string answer_bytes(Bridge& b, std::string_view raw, const Limits& lim) {
  http::request_parser<http::string_body> p;
  p.header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
  p.body_limit(lim.max_body_bytes);
  p.eager(true);
  boost::beast::error_code ec;
  size_t off = 0;
  while (!p.is_done() && off < raw.size()) {
    size_t n = p.put(boost::asio::buffer(raw.data() + off, raw.size() - off), ec);
    off += n;
    if (ec == http::error::need_more) {
      if (n == 0) break;  // a partial element at the end: wait for "more", i.e. EOF
      ec = {};
      continue;
    }
    if (ec) break;
  }
  // A connection closed before its first byte gets no answer.
  if (raw.empty()) return {};
  if (!ec || ec == http::error::need_more) {
    ec = {};
    if (!p.got_some()) ec = http::error::partial_message;  // put_eof asserts on nothing
    else if (!p.is_done()) p.put_eof(ec);
    if (!ec && !p.is_done()) ec = http::error::partial_message;
  }
  Response res;
  if (ec) {
    Reject why = Reject::bad_request;
    if (!is_parse_error(ec, why)) why = Reject::bad_request;
    res = build_response(b.reject(why), 11, false, false);
  } else {
    const Request& req = p.get();
    Reply r = b.handle(request_info(req));
    res = build_response(r, req.version(), req.keep_alive(), req.method() == http::verb::head);
  }
  std::ostringstream os;
  os << res;
  return os.str();
}

}  // namespace gw502::bridge
