#include <string>
#include <vector>

#include "core/event_batch.hpp"
#include "helpers.hpp"

using namespace gw502;

namespace {

struct Seen {
  std::string source, message, upstream, host;
  ProxyKind proxy;
  std::string site;
  uint64_t line;
  int rule, cause;
};

struct Collect final : EventSink {
  std::vector<Seen> seen;
  void on_event(const SourceInfo& src, uint64_t line, const Event& ev, int rule, int cause,
                std::string_view host) override {
    seen.push_back({src.name, std::string(ev.message), std::string(ev.upstream), std::string(host),
                    src.proxy, src.site, line, rule, cause});
  }
};

}  // namespace

TEST_CASE("an event batch keeps its events' text and numbers their lines at commit", "[core]") {
  SourceInfo info{"proxy-host-3_error.log", ProxyKind::npm, "proxy-host-3", false};
  EventBatch batch;
  {
    std::string chunk = "connect() failed|172.18.0.5:3000|app.example.com";
    Event ev;
    ev.message = std::string_view(chunk).substr(0, 16);
    ev.upstream = std::string_view(chunk).substr(17, 15);
    ev.status = 502;
    batch.on_event(info, 4, ev, 7, 2, std::string_view(chunk).substr(33));
    SourceInfo as_caddy = info;
    as_caddy.proxy = ProxyKind::caddy;
    as_caddy.site.clear();
    Event ev2;
    ev2.message = "dial tcp: connection refused";
    batch.on_event(as_caddy, 9, ev2, 1, 0, "");
    chunk.assign(chunk.size(), 'x');  // the chunk is recycled before the merge
  }
  CHECK_FALSE(batch.empty());
  Collect out;
  batch.commit(info, 100, out);
  CHECK(batch.empty());
  REQUIRE(out.seen.size() == 2);
  CHECK(out.seen[0].message == "connect() failed");
  CHECK(out.seen[0].upstream == "172.18.0.5:3000");
  CHECK(out.seen[0].host == "app.example.com");
  CHECK(out.seen[0].line == 104);
  CHECK(out.seen[0].rule == 7);
  CHECK(out.seen[0].cause == 2);
  CHECK(out.seen[0].proxy == ProxyKind::npm);
  CHECK(out.seen[0].site == "proxy-host-3");
  CHECK(out.seen[1].line == 109);
  CHECK(out.seen[1].proxy == ProxyKind::caddy);
  CHECK(out.seen[1].site.empty());
  CHECK(out.seen[1].source == "proxy-host-3_error.log");
  // Committed events are gone: a second commit hands out nothing.
  batch.commit(info, 0, out);
  CHECK(out.seen.size() == 2);
}
