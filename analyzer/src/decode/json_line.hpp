// One JSON log entry, parsed with simdjson's DOM parser. The parser and its
// padded input buffer are reused: after the first lines nothing is allocated
// (a longer line than any before grows the buffers once). The line is copied
// into the padded buffer, so its source needs no padding of its own: a view
// may end anywhere, also at the end of a memory map.
// Every view returned points into the parser and stays valid until the next
// parse().
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace gw502 {

class JsonLine {
 public:
  JsonLine();
  ~JsonLine();
  JsonLine(const JsonLine&) = delete;
  JsonLine& operator=(const JsonLine&) = delete;

  // False when text is not valid JSON or not an object.
  bool parse(std::string_view text);
  // An object cut off where people paste it (`..."request": [...]`, a line cut
  // at a terminal's width): parses the longest prefix that ends after a whole
  // member, with its open objects closed. False when not even that parses.
  bool parse_cut(std::string_view text);
  // True when the object parsed last was cut (parse_cut succeeded).
  bool was_cut() const { return cut_; }

  bool has(std::string_view key) const;
  // obj.key exists (obj an object member).
  bool has(std::string_view obj, std::string_view key) const;
  // A string member, or "" when it is absent or not a string.
  std::string_view str(std::string_view key) const;
  // obj.key as a string (obj an object member).
  std::string_view str(std::string_view obj, std::string_view key) const;
  // obj.key[0] as a string (Caddy's header maps: "resp_headers":{"X":["v"]}).
  std::string_view first_str(std::string_view obj, std::string_view key) const;
  // A number member (integer or float). False when absent or not a number.
  bool num(std::string_view key, double& out) const;
  bool num(std::string_view obj, std::string_view key, double& out) const;
  // A number member that fits an int (a status code), truncated toward zero.
  // False when absent, not a number, NaN or out of int's range: casting such
  // a double to int is undefined behaviour.
  bool int_num(std::string_view key, int& out) const;
  bool int_num(std::string_view obj, std::string_view key, int& out) const;
  // True when the member is an object (Traefik v2 logs ServiceURL as one).
  bool is_object(std::string_view key) const;
  // An object member written out again as one JSON line (minified) into
  // `out`; false when absent or not an object. Allocates: for a collector's
  // record that nests the proxy's JSON (Cloud Logging's "jsonPayload").
  bool object_text(std::string_view key, std::string& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool cut_ = false;
};

}  // namespace gw502
