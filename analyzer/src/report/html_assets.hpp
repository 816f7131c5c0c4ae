// The HTML report's inline style and script (html_report.cpp). The page
// reads fine without the script; it only adds a filter box and sorting by
// a column header.
#pragma once

namespace gw502::html_assets {

inline constexpr const char* kCss = R"css(
:root{--fg:#1d232b;--dim:#5d6673;--line:#d9dee5;--bg:#fff;--panel:#f5f7fa;--bad:#b42318}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:0 0 6px}
.meta{color:var(--dim);margin:2px 0}.note{color:var(--dim);font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);font-weight:600;white-space:nowrap}
table.sortable th{cursor:pointer}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}td.w{word-break:break-all}
a{color:#175cd3;text-decoration:none}a:hover{text-decoration:underline}
.cause{color:var(--bad);font-weight:600}
section.fix{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:12px 0}
section.fix ol,section.fix ul{margin:4px 0 8px;padding-left:22px}
.label{font-size:12px;fill:var(--fg)}.label.cause{fill:var(--bad)}.axis,.count{font-size:11px;fill:var(--dim)}
.end{text-anchor:end}.mid{text-anchor:middle}
pre,code,.ev{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.ev{white-space:pre-wrap;word-break:break-all;background:#fff;border-left:3px solid var(--line);padding:2px 8px;margin:2px 0}
.ev .src{color:var(--dim)}
svg.timeline{width:100%;height:auto;display:block;margin:8px 0}
.tl-bg{fill:var(--panel)}
.c0 .pt{fill:#d92d20}.c1 .pt{fill:#f79009}.c2 .pt{fill:#7a5af8}.c3 .pt{fill:#0086c9}
.c4 .pt{fill:#099250}.c5 .pt{fill:#c11574}.c6 .pt{fill:#6172f3}.c7 .pt{fill:#4e5ba6}
#filter{margin:8px 0;padding:4px 8px;width:320px;font:inherit}
)css";

inline constexpr const char* kJs = R"js(
(function () {
  var box = document.getElementById('filter');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.grp'));
  if (box) {
    box.hidden = false;
    box.addEventListener('input', function () {
      var q = box.value.toLowerCase();
      rows.forEach(function (r) { r.hidden = q !== '' && r.textContent.toLowerCase().indexOf(q) < 0; });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.querySelectorAll('th'), function (th, col) {
      var down = true;
      th.addEventListener('click', function () {
        var body = table.tBodies[0];
        var list = Array.prototype.slice.call(body.rows);
        var key = function (r) { var c = r.cells[col]; return c.hasAttribute('data-v') ? Number(c.getAttribute('data-v')) : c.textContent; };
        list.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * (down ? -1 : 1); });
        down = !down;
        list.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
)js";

// The page's Content-Security-Policy: nothing is fetched, no form or <base>
// takes effect, and the one script that runs is kJs, by its SHA-256 (so a
// script that slipped into the page would not run). After a change to kJs,
// html_report_browser prints the new hash.
inline constexpr const char* kCsp =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-JJd+oRqzaEC6S/vUxUdBtjkUVDNLTOI7r3aMWGLjr2E='; "
    "base-uri 'none'; form-action 'none'";

}  // namespace gw502::html_assets
