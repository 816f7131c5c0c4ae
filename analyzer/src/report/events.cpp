#include "report/events.hpp"

#include "report/redact.hpp"
#include "report/report.hpp"

namespace gw502 {

void NdjsonEvents::on_event(const SourceInfo& src, uint64_t line, const Event& ev, int rule,
                            int cause, std::string_view host) {
  text_.clear();
  if (redact_) {
    Event masked = ev;
    const std::string request = redact(ev.request);
    masked.client = ev.client.empty() ? std::string_view() : std::string_view("<client>");
    masked.request = request;
    append_event_json(text_, cat_, src, line, masked, rule, cause, host);
  } else {
    append_event_json(text_, cat_, src, line, ev, rule, cause, host);
  }
  ++written_;
  write_(text_);
}

}  // namespace gw502
