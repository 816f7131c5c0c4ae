// The events of one chunk, held until the chunk is merged. A worker of the
// pipeline does not know how many lines come before its chunk; the merge
// does. The batch copies each event's text (its views point into a chunk
// that is recycled before the merge) into one arena, and commit() hands the
// events to a sink in order, with their real line numbers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/event_sink.hpp"
#include "core/types.hpp"

namespace gw502 {

class EventBatch final : public EventSink {
 public:
  // line: relative to the chunk (its first line is 1). src must be the
  // source being scanned, or a copy of it re-attributed to another proxy.
  void on_event(const SourceInfo& src, uint64_t line, const Event& ev, int rule, int cause,
                std::string_view host) override;

  // Hands every held event to out with line + base, in the order they were
  // added, then empties the batch. info: the source the chunk belongs to.
  void commit(const SourceInfo& info, uint64_t base, EventSink& out);

  bool empty() const { return held_.empty(); }

 private:
  struct Span {
    uint32_t at = 0, size = 0;
  };
  static constexpr size_t kViews = 11;
  struct Held {
    Event ev;               // scalars; its views are rebuilt from `views`
    Span views[kViews];
    Span host;
    uint64_t line = 0;
    int rule = 0, cause = 0;
    ProxyKind proxy = ProxyKind::nginx;
  };
  Span keep(std::string_view s);

  std::string arena_;
  std::vector<Held> held_;
  SourceInfo as_;  // the source re-attributed, rebuilt at commit when needed
};

}  // namespace gw502
