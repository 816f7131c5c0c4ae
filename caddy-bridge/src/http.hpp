// Boost.Beast glue: a parsed request to a RequestInfo, a Reply to a response,
// a parse error to a Reject reason. answer_bytes() runs the whole path on a
// byte string, the way a connection does, for the unit tests.
#pragma once
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

#include "bridge.hpp"

namespace gw502::bridge {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct Limits {
  size_t max_header_bytes = 64 * 1024;  // request line and headers
  size_t max_body_bytes = 16 * 1024;    // Caddy sends no body (method GET)
};

// Views into req; valid while req lives. The first of repeated headers counts.
RequestInfo request_info(const Request& req);

// Only our own strings reach the header block: the status number, fixed
// names, and catalogue ids that passed sanitize_id/sanitize_rule.
Response build_response(const Reply& r, unsigned version, bool keep_alive, bool head);

// True when ec is a parse error (as opposed to a socket error or EOF), and
// the reason to count for it.
bool is_parse_error(const boost::beast::error_code& ec, Reject& why);

// For tests: parses raw as one request (empty raw: no answer, "") with the given limits (EOF after the
// bytes), answers it with b, and returns the serialised response.
std::string answer_bytes(Bridge& b, std::string_view raw, const Limits& lim = Limits{});

}  // namespace gw502::bridge
