"""Every view of a trace: checked for content, and by the real tools that read them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from render_tools import REPO, mmdc, png_pixels, run_chromium
from trace_samples import sample_trace, simulated_trace

from ackcheck.app._trace_commands import show
from ackcheck.errors import ConfigError
from ackcheck.history import Op
from ackcheck.traces import FORMATS, render, save_trace
from ackcheck.traces.render_markdown import GITHUB_COMMENT_LIMIT
from ackcheck.traces.render_text import render_rich

SVG_NS = "{http://www.w3.org/2000/svg}"


def _huge_trace():
    """Thousands of heartbeats and client ops: what summarising has to cope with."""
    import attrs

    base = sample_trace(heartbeats=5_000)
    ops = list(base.history.ops)
    for i in range(3_000):
        t = 110_000 + i * 50
        ops.append(Op(len(ops), t, 1 + i % 3, "invoke", "publish", f"{1 + i % 3}-{i}", i % 3))
        ops.append(Op(len(ops), t + 20, 1 + i % 3, "ok", "publish", f"{1 + i % 3}-{i}", i % 3,
                      seq=10 + i))
    return attrs.evolve(base, history=attrs.evolve(base.history, ops=tuple(ops)))


# ------------------------------------------------------------------------------ text


def test_text_tells_the_story_and_highlights_the_lost_write() -> None:
    out = render(sample_trace(), "text")
    assert "VIOLATION acked-writes-survive" in out
    assert "lost writes (1): 0-1" in out
    assert re.search(r"0\.104s c0 ok +publish 0-1 -> seq 1 via n0 +<- LOST WRITE ACKED", out)
    assert "FAULT power-failure [n0,n1]" in out
    assert "LOSS on n0: log/0001 lost 0-1 (power-failure)" in out
    assert "n2: 1 entries, missing 0-1" in out
    times = [float(m) for m in re.findall(r"^ +(\d+\.\d+)s ", out, re.M)]
    assert times == sorted(times), "the timeline reads top to bottom in time order"


def test_text_collapses_heartbeat_floods() -> None:
    small = render(sample_trace(heartbeats=10), "text").splitlines()
    big = render(sample_trace(heartbeats=5_000), "text").splitlines()
    assert len(big) == len(small)  # 10,000 more sends and deliveries, not one more line
    counted = [int(n) for line in big for n in re.findall(r"(\d+) send", line)]
    assert sum(counted) == sum(1 for e in sample_trace(heartbeats=5_000).history.events
                               if e.kind == "send")  # summarised, not dropped


def test_rich_text_styles_the_lost_write_and_faults() -> None:
    text = render_rich(sample_trace())
    styled = {text.plain[s.start:s.end].strip(): str(s.style) for s in text.spans}
    assert any("LOST WRITE ACKED" in k and v == "bold red" for k, v in styled.items())
    assert any("FAULT power-failure" in k and v == "bold yellow" for k, v in styled.items())


def test_show_text_is_plain_when_not_a_tty(tmp_path: Path) -> None:
    path = save_trace(sample_trace(), tmp_path / "t.json")
    result = CliRunner().invoke(show, [str(path)])
    assert result.exit_code == 0
    assert "\x1b[" not in result.output
    assert "LOST WRITE ACKED" in result.output


def test_show_honours_no_color_on_a_tty(tmp_path: Path) -> None:
    """Under a real terminal (script(1) gives a pty) rich colours, unless NO_COLOR is set."""
    import shutil

    if shutil.which("script") is None:
        pytest.skip("script(1) is not installed: no pty to test with")
    path = save_trace(sample_trace(), tmp_path / "t.json")
    # this interpreter: `python` on PATH may be another one, or none (Debian has python3)
    cmd = f"{sys.executable} -c 'from ackcheck.app._trace_commands import show; show()' {path}"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm-256color"
    coloured = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
    plain = subprocess.run(["script", "-qec", cmd, "/dev/null"], env={**env, "NO_COLOR": "1"},
                           capture_output=True, text=True, timeout=60, check=False)
    assert "LOST WRITE ACKED" in coloured.stdout and "LOST WRITE ACKED" in plain.stdout
    assert "\x1b[" in coloured.stdout
    assert "\x1b[1;31m" not in plain.stdout and "\x1b[31m" not in plain.stdout


def test_show_writes_out_file_and_rejects_unknown_format(tmp_path: Path) -> None:
    path = save_trace(sample_trace(), tmp_path / "t.json")
    out = tmp_path / "report.md"
    result = CliRunner().invoke(show, [str(path), "--format", "markdown", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ackcheck replay t.json" in out.read_text()
    bad = CliRunner().invoke(show, [str(path), "--format", "pdf"])
    assert bad.exit_code == 2
    with pytest.raises(ConfigError, match="unknown format 'pdf'"):
        render(sample_trace(), "pdf")


# -------------------------------------------------------------------------- markdown


def test_markdown_is_a_bug_report() -> None:
    md = render(sample_trace(), "markdown", name="lost.json.gz")
    assert md.startswith("## ackcheck: `acked-writes-survive` violated\n")
    lead = md.split("\n\n")[1]
    assert lead.count(". ") + lead.endswith(".") == 2, lead  # two sentences
    assert "- 0.300s `power-failure [n0,n1]`" in md
    assert "```mermaid\nsequenceDiagram\n" in md
    assert "ackcheck replay lost.json.gz" in md
    assert "pytest --ackcheck-replay lost.json.gz" in md


def test_markdown_config_diff_against_preset() -> None:
    import attrs

    from ackcheck.model import PRESETS

    base = dict(attrs.asdict(PRESETS["raft"].config))
    trace = attrs.evolve(sample_trace(), preset="raft",
                         config={**base, "fsync": "never", "heartbeat": 20_000})
    md = render(trace, "markdown")
    assert "| `fsync` | `always` | `never` |" in md
    assert "| `heartbeat` | `50000` | `20000` |" in md
    assert "`election_timeout_min`" not in md  # unchanged knobs are not listed


def test_markdown_fits_a_github_comment_and_labels_never_say_end() -> None:
    md = render(_huge_trace(), "markdown")
    assert len(md) < GITHUB_COMMENT_LIMIT
    assert "more steps not drawn" in md
    diagram = md.split("```mermaid\n")[1].split("```")[0]
    for line in diagram.splitlines():
        if line.strip() == "end":
            continue  # the keyword closing a rect block
        label = line.split(":", 1)[1] if ":" in line else line
        assert not re.search(r"\bend\b", label, re.I), line
    assert render(_huge_trace(), "mermaid").count("\n") < 400


# ------------------------------------------------------------- mermaid (real renderer)


@pytest.mark.parametrize("which", ["sample", "simulated", "huge"])
def test_mermaid_cli_accepts_the_diagram(tmp_path: Path, which: str) -> None:
    cmd = mmdc(tmp_path)
    trace = {"sample": sample_trace, "simulated": simulated_trace, "huge": _huge_trace}[which]()
    src = tmp_path / "d.mmd"
    src.write_text(render(trace, "mermaid"))
    out = tmp_path / "d.svg"
    proc = subprocess.run([*cmd, "-i", str(src), "-o", str(out), "-q"], capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    svg = out.read_text()
    assert "Syntax error" not in svg
    ET.fromstring(svg)
    for name in ("n0", "n1", "n2"):
        assert f">{name}<" in svg


# ------------------------------------------------------------------------------- svg


def _lanes(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [e.get("data-lane") for e in root.iter(f"{SVG_NS}line") if e.get("data-lane")]


def test_svg_is_well_formed_with_every_lane() -> None:
    import attrs

    trace = sample_trace()
    assert _lanes(render(trace, "svg")) == ["n0", "n1", "n2"]
    five = attrs.evolve(trace, schedule=attrs.evolve(trace.schedule, nodes=5),
                        history=attrs.evolve(trace.history, nodes=5))
    svg = render(five, "svg")
    assert _lanes(svg) == ["n0", "n1", "n2", "n3", "n4"]
    root = ET.fromstring(svg)
    steps = [g for g in root.iter(f"{SVG_NS}g") if g.get("data-step") is not None]
    kinds = {g.get("class", "").split()[-1] for g in steps}
    assert {"step-msg", "step-fault", "step-down", "step-paused", "step-partition",
            "step-sync", "step-lostack", "step-loss"} <= kinds
    times = [int(g.get("data-t")) for g in steps]
    assert times == sorted(times)


def test_svg_traces_the_lost_write_from_ack_to_loss() -> None:
    root = ET.fromstring(render(sample_trace(), "svg"))
    paths = [p for p in root.iter(f"{SVG_NS}path") if p.get("class") == "lostpath"]
    assert len(paths) == 2  # to n0's loss and to n1's loss
    texts = [t.text or "" for t in root.iter(f"{SVG_NS}text")]
    assert "ack 0-1" in texts and texts.count("lost 0-1") == 2


def test_svg_of_a_simulated_run_pairs_messages() -> None:
    trace = simulated_trace()
    root = ET.fromstring(render(trace, "svg"))
    arrows = [e for e in root.iter(f"{SVG_NS}line") if "msg" in (e.get("class") or "")]
    sends = sum(1 for e in trace.history.events
                if e.kind == "send" and e.actor[0] == "n" and str(e.data["to"])[0] == "n")
    assert 0 < len(arrows) <= sends


# ------------------------------------------------------------------------------ html


def test_html_is_self_contained_and_steps() -> None:
    page = render(sample_trace(), "html")
    assert page.startswith("<!DOCTYPE html>")
    urls = set(re.findall(r"""(?:src|href)\s*=\s*["']?([^"' >]+)""", page))
    assert not urls, urls  # no scripts, styles or images fetched from anywhere
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'id="next"' in page and 'id="prev"' in page and "ArrowRight" in page


def test_html_deep_link_moves_the_cursor(tmp_path: Path) -> None:
    page = tmp_path / "t.html"
    page.write_text(render(simulated_trace(), "html"))
    proc = run_chromium(["--dump-dom", f"{page.as_uri()}#step=5"], tmp_path / "profile")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    total = dom.count('class="step ')
    assert f'<span id="pos">step 6 / {total}</span>' in dom
    assert re.search(r'<g id="s5" class="step step-\w+ current"', dom)
    assert re.search(r'<g id="s6" class="step step-\w+ future"', dom)


def test_html_screenshot_shows_the_diagram(tmp_path: Path) -> None:
    page = tmp_path / "t.html"
    page.write_text(render(simulated_trace(), "html"))
    shot = tmp_path / "shot.png"
    proc = run_chromium(["--window-size=1320,420", f"--screenshot={shot}", page.as_uri()],
                        tmp_path / "profile")
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1320, 420)
    lost_red = sum(1 for r, g, b in pixels if r > 180 and g < 60 and b < 60)
    lanes_grey = sum(1 for r, g, b in pixels if r == g == b and 120 <= r <= 150)
    down_grey = sum(1 for r, g, b in pixels if r == g == b and 200 <= r <= 230)
    assert lost_red > 500, "the lost write's red path and markers are on screen"
    assert lanes_grey > 1000, "the node lanes are on screen"
    assert down_grey > 2000, "the crashed nodes' down stretches are on screen"


def test_docs_example_image_exists() -> None:
    image = REPO / "docs" / "images" / "trace-html.png"
    assert image.exists(), "regenerate with the command in docs/traces.md"
    width, height, _ = png_pixels(image.read_bytes())
    assert width >= 800 and height >= 300


# ------------------------------------------------------------------------------- edn


def test_edn_is_a_jepsen_set_full_history() -> None:
    edn = render(sample_trace(), "edn").splitlines()
    assert edn[0] == ('{:index 0, :type :invoke, :f :add, :process 0, :time 100000000, '
                      ':value "0-1", :node "n0"}')
    assert edn[1].startswith("{:index 1, :type :ok, :f :add, :process 0, :time 104000000, ")
    reads = [line for line in edn if ":f :read" in line]
    assert len(reads) == 6  # invoke + ok per node
    assert ':value #{"0-2"}' in reads[-1] and ":type :ok" in reads[-1]
    assert ":value #{}" in reads[1]
    indexes = [int(re.match(r"\{:index (\d+),", line).group(1)) for line in edn]
    assert indexes == list(range(len(edn)))
    for line in edn:  # balanced, and every string is a JSON/EDN string
        assert line.count("{") == line.count("}")


def test_edn_of_a_simulated_run_counts_publishes() -> None:
    trace = simulated_trace()
    edn = render(trace, "edn")
    publishes = [op for op in trace.history.ops if op.f == "publish"]
    assert edn.count(":f :add") == len(publishes)
    assert edn.count(":f :read") == 2 * len(trace.history.final_reads)


# ---------------------------------------------------------------------------- shiviz


def _parse_shiviz(text: str) -> list[tuple[str, str, dict[str, int]]]:
    lines = text.split("\n")
    regex = lines[0].replace("(?<", "(?P<")
    assert lines[1] == ""
    body = "\n".join(lines[2:])
    return [(m["host"], m["event"], json.loads(m["clock"]))
            for m in re.finditer(regex, body)]


@pytest.mark.parametrize("make", [sample_trace, simulated_trace])
def test_shiviz_vector_clocks_are_consistent(make) -> None:
    trace = make()
    entries = _parse_shiviz(render(trace, "shiviz"))
    assert len(entries) == len(trace.history.events)
    own: dict[str, int] = {}
    for host, _, clock in entries:
        own[host] = own.get(host, 0) + 1
        assert clock[host] == own[host], "each host ticks its own entry by one"
    sends = {}
    for (_, _, clock), e in zip(entries, trace.history.events, strict=True):
        if e.kind == "send":
            sends[e.data["msg_id"]] = clock
        if e.kind == "deliver" and e.data["msg_id"] in sends:
            sent = sends[e.data["msg_id"]]
            assert all(clock.get(h, 0) >= c for h, c in sent.items()), "delivery sees its send"


def test_every_format_renders_an_empty_history() -> None:
    import attrs

    from ackcheck.history import History

    trace = attrs.evolve(sample_trace(), violation=None, history=History(nodes=3))
    for fmt in FORMATS:
        assert isinstance(render(trace, fmt), str)
    assert "every checked property held" in render(trace, "text")


def test_text_folds_runs_of_failed_attempts() -> None:
    trace = simulated_trace()
    out = render(trace, "text")
    fails = sum(1 for op in trace.history.ops if op.type == "fail")
    assert fails >= 8
    folded = re.findall(r"(\d+) publish attempts that failed or got no ok \(by ([c0-9,]+)\)", out)
    assert folded and sum(int(n) for n, _ in folded) >= 8
    assert len(re.findall(r" fail +publish", out)) < fails
    assert out.count("<- LOST WRITE ACKED") == len(trace.history.acked())  # every ack was lost


def test_html_steps_with_keys_and_buttons(tmp_path: Path) -> None:
    """A real browser, driven by puppeteer: arrows, j/k and the buttons move the cursor."""
    import shutil

    from render_tools import NODE_TOOLS, chromium

    browser = chromium()
    node = shutil.which("node")
    if node is None or not (NODE_TOOLS / "node_modules" / "puppeteer-core").exists():
        pytest.skip("node and puppeteer-core are not installed (run .ci/render-tools.sh)")
    trace = sample_trace()
    page = tmp_path / "t.html"
    page.write_text(render(trace, "html"))
    proc = subprocess.run(
        [node, str(Path(__file__).with_name("html_steps.cjs")), str(page)],
        env={**os.environ, "ACKCHECK_NODE_TOOLS": str(NODE_TOOLS), "CHROMIUM": browser},
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    total = int(got["initial"].split()[0])
    assert got["initial"] == f"{total} steps"  # everything drawn until the reader steps
    assert got["right"] == f"step 1 / {total}"
    assert got["right2"] == f"step 2 / {total}"
    assert got["next"] == f"step 3 / {total}"
    assert got["left"] == f"step 2 / {total}"
    assert got["prev"] == f"step 1 / {total}"
    assert got["current"] == ["s0"] and got["future"] == total - 1
    assert got["desc"].startswith("0.010s ")  # the first step: n0's first RequestVote
    assert got["end"] == f"{total} steps"


def test_every_view_is_deterministic_across_processes(tmp_path: Path) -> None:
    """String hashing differs per process (PYTHONHASHSEED): no view may depend on it."""
    path = save_trace(simulated_trace(), tmp_path / "t.json.gz")
    code = (
        "import sys, hashlib; from ackcheck.traces import load_trace, render, FORMATS; "
        "t = load_trace(sys.argv[1]); "
        "print(' '.join(hashlib.sha256(render(t, f).encode()).hexdigest()[:12] for f in FORMATS))"
    )
    outs = set()
    for seed in ("1", "2", "3"):
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              text=True, timeout=120, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        outs.add(proc.stdout)
    assert len(outs) == 1, outs


def test_svg_bounds_its_arrows_and_says_so() -> None:
    from ackcheck.traces.render_svg import MAX_ARROWS

    trace = sample_trace(heartbeats=3_000)  # 6,000+ messages
    root = ET.fromstring(render(trace, "svg"))
    arrows = [e for e in root.iter(f"{SVG_NS}line") if "msg" in (e.get("class") or "")]
    assert 0 < len(arrows) <= MAX_ARROWS
    from ackcheck.traces.story import messages

    total = len(messages(trace.history.events))
    assert total > MAX_ARROWS
    notes = [t.text for t in root.iter(f"{SVG_NS}text") if (t.text or "").startswith("only ")]
    assert notes == [f"only {len(arrows)} of {total} messages drawn"]
