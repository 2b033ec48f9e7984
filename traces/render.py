"""One entry point for every view of a trace: ``render(trace, fmt)``."""

from __future__ import annotations

from collections.abc import Callable

from ackcheck.errors import ConfigError
from ackcheck.traces.render_edn import render_edn
from ackcheck.traces.render_html import render_html
from ackcheck.traces.render_markdown import render_markdown
from ackcheck.traces.render_mermaid import render_mermaid
from ackcheck.traces.render_shiviz import render_shiviz
from ackcheck.traces.render_svg import render_svg
from ackcheck.traces.render_text import render_text
from ackcheck.traces.trace import Trace

RENDERERS: dict[str, Callable[[Trace], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "mermaid": render_mermaid,
    "svg": render_svg,
    "html": render_html,
    "edn": render_edn,
    "shiviz": render_shiviz,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def render(trace: Trace, fmt: str = "text", *, name: str = "trace.json") -> str:
    """``trace`` as ``fmt`` (one of :data:`FORMATS`); ``name`` is the file the markdown
    report tells readers to replay."""
    if fmt not in RENDERERS:
        raise ConfigError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if fmt == "markdown":
        return render_markdown(trace, name)
    return RENDERERS[fmt](trace)
