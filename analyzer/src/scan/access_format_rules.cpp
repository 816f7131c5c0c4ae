#include "scan/access_format_rules.hpp"

#include "base/json_writer.hpp"

namespace gw502 {
namespace {

void rule(std::string& out, const char* id, const char* cause, const std::string& regex,
          const std::vector<std::string>& literals, const char* status) {
  if (out.back() != '[') out += ',';
  out += "\n{\"id\":";
  json_string(out, id);
  out += ",\"cause\":";
  json_string(out, cause);
  out += ",\"proxies\":[\"nginx\"],\"log\":\"access\",\"regex\":";
  json_string(out, regex);
  out += ",\"literal\":[";
  for (size_t i = 0; i < literals.size(); ++i) {
    if (i) out += ',';
    json_string(out, literals[i]);
  }
  out += "]";
  if (*status) out.append(",\"status\":[").append(status).append("]");
  out += "}";
}

std::vector<std::string> around_status(const AccessFormat& f, std::initializer_list<const char*> codes) {
  std::vector<std::string> out;
  for (const char* c : codes)
    for (auto& l : f.literals_around(AccessVar::status, c)) out.push_back(l);
  return out;
}

}  // namespace

std::string access_format_rules(const AccessFormat& f) {
  const std::string p(kAccessMatchPrefix);
  std::string out = "{\"rules\": [";
  rule(out, "access.format_499", "client_closed", "^" + p + "499 ", around_status(f, {"499"}), "499");
  // nginx joins the tries of one request with ", " (and internal redirects
  // with " : "): a 502/504 followed by another try that answered.
  if (f.has(AccessVar::upstream_status))
    rule(out, "access.format_retried", "retried_served",
         "^" + p + "[1-4][0-9][0-9] upstream_status=.*\\b50[24](, | : )",
         {"502, ", "504, ", "502 : ", "504 : "}, "");
  rule(out, "access.format_5xx", "unexplained", "^" + p + "50[24] ", around_status(f, {"502", "504"}),
       "502, 504");
  out += "\n]}\n";
  return out;
}

}  // namespace gw502
