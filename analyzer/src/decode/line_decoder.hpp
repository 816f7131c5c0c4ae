// Decodes one candidate line of any supported format into an Event and says
// what the rules should see. One LineDecoder per Scanner: it owns the simdjson
// parser and the scratch buffers the views point into, created on the first
// line that needs them and reused for every line after (views stay valid
// until the next decode()).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "core/event.hpp"
#include "decode/access_format.hpp"
#include "decode/format_detect.hpp"

namespace gw502 {

class LineDecoder {
 public:
  LineDecoder();
  ~LineDecoder();
  LineDecoder(const LineDecoder&) = delete;
  LineDecoder& operator=(const LineDecoder&) = delete;

  // raw: the line as read, without its line ending; text: raw without the
  // collector prefixes (a suffix of raw). families: the LogFamily bits whose
  // formats are tried (one with --proxy, all otherwise). An nginx error line
  // comes back with its context not yet cut (finish_nginx_error()).
  Decoded decode(std::string_view raw, std::string_view text, unsigned families, Event& ev);

  // --access-format: nginx access lines in this format are read first (it
  // must outlive the decoder; null: none).
  void set_access_format(const AccessFormat* f) { format_ = f; }

 private:
  struct Go;
  Decoded decode_pasted_go(std::string_view text, unsigned families, Event& ev);
  Decoded nginx_json_access(std::string_view text, Event& ev);
  Decoded decode_go(std::string_view raw, std::string_view text, LineFormat f, unsigned families,
                    Event& ev, int depth);
  Decoded custom_access(std::string_view text, Event& ev);
  std::unique_ptr<Go> go_;  // Caddy and Traefik decoders, made on first use
  const AccessFormat* format_ = nullptr;
  AccessFields fields_;
  std::string format_match_;  // what the rules see of a custom-format line
};

}  // namespace gw502
