#include "core/event_batch.hpp"

namespace gw502 {
namespace {

// Every view of an Event, in one list, so none is forgotten when copying.
constexpr std::string_view Event::*kEventViews[] = {
    &Event::level,  &Event::message, &Event::errno_text, &Event::action,
    &Event::client, &Event::server,  &Event::request,    &Event::upstream,
    &Event::scheme, &Event::host,    &Event::nginx_rest,
};

}  // namespace

EventBatch::Span EventBatch::keep(std::string_view s) {
  Span sp{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(s.size())};
  arena_.append(s);
  return sp;
}

void EventBatch::on_event(const SourceInfo& src, uint64_t line, const Event& ev, int rule, int cause,
                          std::string_view host) {
  static_assert(sizeof kEventViews / sizeof kEventViews[0] == kViews, "one span per Event view");
  Held h;
  h.ev = ev;
  for (size_t i = 0; i < kViews; ++i) {
    h.views[i] = keep(ev.*kEventViews[i]);
    h.ev.*kEventViews[i] = {};
  }
  h.host = keep(host);
  h.line = line;
  h.rule = rule;
  h.cause = cause;
  h.proxy = src.proxy;
  held_.push_back(h);
}

void EventBatch::commit(const SourceInfo& info, uint64_t base, EventSink& out) {
  for (Held& h : held_) {
    Event ev = h.ev;
    for (size_t i = 0; i < kViews; ++i)
      ev.*kEventViews[i] = std::string_view(arena_.data() + h.views[i].at, h.views[i].size);
    const SourceInfo* src = &info;
    if (h.proxy != info.proxy) {
      if (as_.name != info.name || as_.proxy != h.proxy) {
        as_ = info;
        as_.proxy = h.proxy;
        as_.site.clear();
      }
      src = &as_;
    }
    out.on_event(*src, h.line + base, ev, h.rule, h.cause,
                 std::string_view(arena_.data() + h.host.at, h.host.size));
  }
  held_.clear();
  arena_.clear();
}

}  // namespace gw502
