// Where the drivers (scan/, follow/) hand each classified line, structured.
// report/ has the sinks that render them; tests collect them as they are.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/event.hpp"
#include "core/types.hpp"

namespace gw502 {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // line: the line's number in its source (1-based). The views in ev and host
  // are valid only during the call.
  virtual void on_event(const SourceInfo& src, uint64_t line, const Event& ev, int rule,
                        int cause, std::string_view host) = 0;
};

}  // namespace gw502
