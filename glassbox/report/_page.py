"""The HTML of a report: sections with anchors, a table of contents, tables, and figures
as inline SVG whose text stays text (searchable, selectable, read by screen readers)."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field

from .._core import format_number

__all__ = ["Section", "page", "svg"]


@dataclass
class Section:
    """One section of the report: a title, an anchor made from it, and its parts."""

    title: str
    parts: list = field(default_factory=list)

    @property
    def anchor(self):
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")

    def text(self, paragraph):
        self.parts.append(f"<p>{html.escape(paragraph)}</p>")

    def items(self, lines):
        self.parts.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>")

    def pre(self, text):
        self.parts.append(f"<pre>{html.escape(text)}</pre>")

    def table(self, frame):
        self.parts.append(frame.to_html(index=False, border=0, classes="table", float_format=format_number))

    def figure(self, display, caption):
        self.parts.append(f"<figure>{svg(display.figure_)}<figcaption>{html.escape(caption)}</figcaption></figure>")

    def html(self):
        return f"<section id=\"{self.anchor}\"><h2>{html.escape(self.title)}</h2>{''.join(self.parts)}</section>"


def svg(figure):
    """``figure`` as an inline ``<svg>`` element, its text as ``<text>`` elements."""
    from matplotlib import rc_context

    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 980px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
nav ol { columns: 2; font-size: 0.95em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
table.table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
table.table th, table.table td { padding: 0.3em 0.8em; border-bottom: 1px solid #eee; text-align: left; }
.summary { color: #444; } .verdict { font-size: 1.1em; }
"""


def page(title, summary, sections):
    """The whole HTML document: title, summary, table of contents, sections."""
    contents = "".join(f"<li><a href=\"#{s.anchor}\">{html.escape(s.title)}</a></li>" for s in sections)
    body = "".join(section.html() for section in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class=\"summary\">{html.escape(summary)}</p>"
        f"<nav id=\"contents\"><h2>Contents</h2><ol>{contents}</ol></nav>{body}"
        "</body></html>\n"
    )
