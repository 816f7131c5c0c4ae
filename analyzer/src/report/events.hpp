// --events: each classified line as one NDJSON object, written as it comes.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "catalogue/catalogue.hpp"
#include "core/event_sink.hpp"

namespace gw502 {

class NdjsonEvents final : public EventSink {
 public:
  using Write = std::function<void(std::string_view)>;
  NdjsonEvents(const Catalogue& cat, Write write, bool redact = false)
      : cat_(cat), write_(std::move(write)), redact_(redact) {}
  void on_event(const SourceInfo& src, uint64_t line, const Event& ev, int rule, int cause,
                std::string_view host) override;
  uint64_t written() const { return written_; }

 private:
  const Catalogue& cat_;
  Write write_;
  bool redact_;
  std::string text_;  // reused for each object
  uint64_t written_ = 0;
};

}  // namespace gw502
