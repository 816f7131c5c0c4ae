// A timeline row's buckets count its distinct minutes with failures, each
// minute once however many of the row's groups had it; minutes outside the
// window go to its first or last bucket. The same on a short span (bitmap)
// and on one of centuries (sorted copy).
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "report/timeline.hpp"

using namespace gw502;

namespace {

Group with_minutes(std::vector<Group::Minute> m) {
  Group g;
  g.minutes = MinuteSet(m);
  return g;
}

}  // namespace

TEST_CASE("a row's slots count distinct minutes across its groups", "[timeline]") {
  for (const int64_t base : {int64_t{29'000'000}, int64_t{-400'000'000}}) {
    INFO(base);
    // Two groups sharing minutes 3 and 61; one far-off minute in the second
    // case makes the span centuries long.
    Group a = with_minutes({static_cast<Group::Minute>(base + 0), static_cast<Group::Minute>(base + 3),
                            static_cast<Group::Minute>(base + 61)});
    std::vector<Group::Minute> bm = {static_cast<Group::Minute>(base + 3), static_cast<Group::Minute>(base + 61),
                                     static_cast<Group::Minute>(base + 62), static_cast<Group::Minute>(base + 200)};
    if (base < 0) bm.push_back(static_cast<Group::Minute>(base + 300'000'000));  // 570 years on: the last slot
    Group b = with_minutes(bm);
    TimelineRow row;
    row.groups = {&a, &b};
    // Slots of an hour from the base minute: 0-59, 60-119, 120-179, then the rest.
    const std::vector<unsigned> slots = slot_minutes(row, base, 60, 4);
    REQUIRE(slots.size() == 4);
    CHECK(slots[0] == 2);  // minutes 0 and 3 (3 twice)
    CHECK(slots[1] == 2);  // 61 (twice) and 62
    CHECK(slots[2] == 0);
    CHECK(slots[3] == (base < 0 ? 2u : 1u));  // 200, and the far one clamped in
  }
  TimelineRow empty;
  CHECK(slot_minutes(empty, 0, 60, 3) == std::vector<unsigned>{0, 0, 0});
}
