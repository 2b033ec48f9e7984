"""The html view: the space-time diagram in one self-contained page, stepped through.

No network: the SVG, style and script are inline. Next/prev buttons and the arrow keys
(also j/k, Home/End) move a cursor over the diagram's steps in time order; steps up to
the cursor are drawn, the current one is highlighted and described. ``#step=N`` in the
address opens the page at step N (0-based), so a bug report can point at one moment.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ackcheck.traces.render_svg import svg_document
from ackcheck.traces.render_text import header
from ackcheck.traces.trace import Trace

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body{{font-family:sans-serif;margin:16px;color:#222}}
pre.head{{background:#f6f6f6;padding:8px;font-size:12px;white-space:pre-wrap}}
#controls{{margin:8px 0;display:flex;gap:8px;align-items:center}}
#desc{{font-family:monospace;font-size:13px;min-height:1.4em}}
.step.future{{opacity:0.08}}
.step.current{{filter:drop-shadow(0 0 3px #ff9800)}}
.step.current .msg{{stroke:#ff9800;stroke-width:2.5;opacity:1}}
</style>
</head>
<body>
<div id="controls">
<button id="prev" title="previous step (left arrow, k)">&#9664; prev</button>
<button id="next" title="next step (right arrow, j)">next &#9654;</button>
<button id="all" title="show everything (End)">all</button>
<span id="pos"></span>
</div>
<div id="desc">Press next (or the right arrow key) to step through the run.</div>
<div id="diagram">
{svg}
</div>
<details><summary>the trace: config, schedule, verdict</summary>
<pre class="head">{head}</pre>
</details>
<script>
(function () {{
  var steps = Array.prototype.slice.call(document.querySelectorAll("g.step"));
  var cur = steps.length;  // everything shown until the reader starts stepping
  function fmt(t) {{ return (t / 1e6).toFixed(3) + "s"; }}
  function show() {{
    for (var i = 0; i < steps.length; i++) {{
      steps[i].classList.toggle("future", i > cur);
      steps[i].classList.toggle("current", i === cur);
    }}
    var pos = document.getElementById("pos");
    var desc = document.getElementById("desc");
    if (cur >= steps.length) {{
      pos.textContent = steps.length + " steps";
      desc.textContent = "All steps shown. Press prev (left arrow) to step back.";
    }} else {{
      pos.textContent = "step " + (cur + 1) + " / " + steps.length;
      desc.textContent = fmt(+steps[cur].dataset.t) + "  " + steps[cur].dataset.desc;
    }}
  }}
  function go(d) {{
    if (cur >= steps.length && d > 0) {{ cur = -1; }}
    cur = Math.max(0, Math.min(steps.length - 1, cur + d));
    show();
  }}
  document.getElementById("next").onclick = function () {{ go(1); }};
  document.getElementById("prev").onclick = function () {{ go(-1); }};
  document.getElementById("all").onclick = function () {{ cur = steps.length; show(); }};
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowRight" || e.key === "j") {{ go(1); }}
    else if (e.key === "ArrowLeft" || e.key === "k") {{ go(-1); }}
    else if (e.key === "Home") {{ cur = 0; show(); }}
    else if (e.key === "End") {{ cur = steps.length; show(); }}
  }});
  var m = /step=(\\d+)/.exec(window.location.hash);  // deep link: page.html#step=12
  if (m) {{ cur = Math.min(steps.length, parseInt(m[1], 10)); }}
  show();
}})();
</script>
</body>
</html>
"""


def render_html(trace: Trace) -> str:
    svg, _ = svg_document(trace)
    head = "\n".join(text for _, text in header(trace))
    v = trace.violation
    title = f"ackcheck: {v.property}" if v else "ackcheck trace"
    return PAGE.format(title=escape(title), head=escape(head), svg=svg)
