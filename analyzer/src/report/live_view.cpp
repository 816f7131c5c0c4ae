#include "report/live_view.hpp"
#include "base/strutil.hpp"

#include <algorithm>
#include <ctime>

#include "base/json_writer.hpp"

namespace gw502 {
namespace {

std::string ago(int64_t wall, int64_t then) {
  if (then <= 0) return "-";
  int64_t d = std::max<int64_t>(0, wall - then);
  if (d < 120) return std::to_string(d) + "s";
  if (d < 7200) return std::to_string(d / 60) + "m";
  if (d < 172800) return std::to_string(d / 3600) + "h";
  return std::to_string(d / 86400) + "d";
}

// Pads or cuts a plain (already safe) field to width w, counting UTF-8 characters.
void field(std::string& out, std::string_view s, size_t w, bool right = false) {
  size_t chars = 0, cut = s.size();
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) continue;
    if (chars == w) {
      cut = i;
      break;
    }
    ++chars;
  }
  if (cut < s.size() && w > 0) {  // mark the cut with '~' in the last column
    s = s.substr(0, cut);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xc0) == 0x80) s.remove_suffix(1);
    if (!s.empty()) s.remove_suffix(1);
    if (right) out.append(w > chars ? w - chars : 0, ' ');
    out += s;
    out += '~';
    return;
  }
  if (right) out.append(w - chars, ' ');
  out += s;
  if (!right) out.append(w - chars, ' ');
}

std::string where(const Group& g, const Aggregator& agg) {
  std::string t;
  std::string_view site = agg.str(g.site);
  if (site.substr(0, 11) == "proxy-host-")
    t = "#" + std::string(site.substr(11)) + " ";
  else if (!site.empty())
    t = std::string(site) + " ";
  safe_text(t, agg.str(g.host));
  return t;
}

}  // namespace

void RateTracker::Series::step(int64_t from, int64_t to, uint64_t v) {
  for (int64_t s = std::max(from + 1, to - 59); s < to; ++s) at[static_cast<size_t>(s % 60)] = now;
  at[static_cast<size_t>(to % 60)] = v;
  now = v;
}

void RateTracker::update(const Aggregator& agg, uint64_t lines, int64_t now, int64_t wall) {
  if (second_ >= 0 && now <= second_) now = second_;
  const auto& gs = agg.groups();
  const bool first = second_ < 0;
  if (first) {
    first_ = now;
    lines_.at.fill(lines);
    lines_.now = lines;
  }
  while (groups_.size() < gs.size()) {
    Series s;
    // Groups counted before the first update (--from-start) are history, not a burst.
    if (first) s.at.fill(gs[groups_.size()].count), s.now = gs[groups_.size()].count;
    groups_.push_back(s);
    last_.push_back(0);
  }
  for (size_t i = 0; i < gs.size(); ++i) {
    if (gs[i].count > groups_[i].now) last_[i] = wall;
    groups_[i].step(first ? now - 1 : second_, now, gs[i].count);
  }
  lines_.step(first ? now - 1 : second_, now, lines);
  second_ = now;
}

uint64_t RateTracker::per_minute(size_t group) const {
  if (group >= groups_.size()) return 0;
  const Series& s = groups_[group];
  return s.now - s.ago(second_, 59);
}

int64_t RateTracker::last_seen(size_t group) const { return group < last_.size() ? last_[group] : 0; }

uint64_t RateTracker::lines_per_second() const {
  if (second_ < 0) return 0;
  int64_t span = std::min<int64_t>(5, second_ - first_);
  if (span <= 0) return 0;
  return (lines_.now - lines_.ago(second_, span)) / static_cast<uint64_t>(span);
}

std::string render_live(const Catalogue& cat, const Aggregator& agg, const RateTracker& rates,
                        const LiveView& v) {
  const char* bold = v.color ? "\x1b[1m" : "";
  const char* red = v.color ? "\x1b[1;31m" : "";
  const char* off = v.color ? "\x1b[0m" : "";
  const auto& gs = agg.groups();
  uint64_t minute = 0, failures = 0;
  for (size_t i = 0; i < gs.size(); ++i) {
    if (!cat.causes()[static_cast<size_t>(gs[i].cause)].counts_as_failure) continue;
    failures += gs[i].count;
    minute += rates.per_minute(i);
  }
  char clock[32];
  time_t t = static_cast<time_t>(v.wall);
  tm lt;
  localtime_r(&t, &lt);
  strftime(clock, sizeof clock, "%H:%M:%S", &lt);

  std::string head = std::string("gw502-logs -f  ") + clock + "  " + thousands(v.files) +
                     (v.files == 1 ? " file  " : " files  ") + thousands(v.lines) + " lines (" +
                     thousands(rates.lines_per_second()) + "/s)  " + thousands(failures) +
                     (failures == 1 ? " failure (" : " failures (") + thousands(minute) + "/min)";
  if (v.problems) head += "  " + thousands(v.problems) + " input problems";
  if (v.lost_bytes) head += "  " + thousands(v.lost_bytes) + " bytes lost to rotation";
  std::string out;
  auto line = [&](const std::string& s, const char* style) {
    std::string cut;
    field(cut, s, v.cols ? v.cols : s.size());
    while (!cut.empty() && cut.back() == ' ') cut.pop_back();
    out += style;
    out += cut;
    out += *style ? off : "";
    out += '\n';
  };
  line(head, bold);
  out += '\n';
  std::vector<size_t> order(gs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    uint64_t ra = rates.per_minute(a), rb = rates.per_minute(b);
    if (ra != rb) return ra > rb;
    if (rates.last_seen(a) != rates.last_seen(b)) return rates.last_seen(a) > rates.last_seen(b);
    if (gs[a].count != gs[b].count) return gs[a].count > gs[b].count;
    return a < b;
  });
  const size_t room = v.rows > 4 ? v.rows - 4 : (v.rows ? 1 : order.size());
  const size_t shown = order.size() <= room ? order.size() : std::max<size_t>(1, room - 1);
  // Columns as wide as what is shown (the upstream at most 28).
  size_t wc = 5, wu = 8;
  for (size_t k = 0; k < shown; ++k) {
    const Group& g = gs[order[k]];
    wc = std::max(wc, cat.causes()[static_cast<size_t>(g.cause)].id.size());
    wu = std::max(wu, std::min<size_t>(28, agg.str(g.upstream).size()));
  }
  std::string h;
  field(h, "CAUSE", wc);
  field(h, "COUNT", 9, true);
  field(h, "/MIN", 7, true);
  field(h, "LAST", 6, true);
  h += "  ";
  field(h, "UPSTREAM", wu + 1);
  h += "HOST";
  line(h, bold);
  for (size_t k = 0; k < shown; ++k) {
    const size_t i = order[k];
    const Group& g = gs[i];
    std::string r, up;
    safe_text(up, agg.str(g.upstream));
    field(r, cat.causes()[static_cast<size_t>(g.cause)].id, wc);
    field(r, thousands(g.count), 9, true);
    field(r, thousands(rates.per_minute(i)), 7, true);
    field(r, ago(v.wall, rates.last_seen(i)), 6, true);
    r += "  ";
    field(r, up, wu);
    r += ' ';
    r += where(g, agg);
    line(r, rates.per_minute(i) ? red : "");
  }
  if (shown < order.size()) line("... " + thousands(order.size() - shown) + " more", "");
  if (gs.empty()) line("(no upstream failure yet)", "");
  return out;
}

}  // namespace gw502
