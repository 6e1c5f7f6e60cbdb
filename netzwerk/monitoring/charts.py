"""Charts as SVG made by the server: readable without JavaScript.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``;
the page shows the same figures in a table next to it for screen readers.
Suppressed values are drawn as no bar / a gap and labelled "< N".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

PALETTE = ["#1b5e8c", "#c2571a", "#2e7d32", "#7b3f98", "#a11f4b", "#00796b", "#5d4037", "#455a64"]
_ids = count(1)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10**exponent
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base:
            return float(step * base)
    return float(10 * base)


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}".replace(".", ",")


def _head(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'preserveAspectRatio="xMinYMin meet" font-family="sans-serif" font-size="12">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]


def bar_chart(
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float | None, str]],
    *,
    width: int = 640,
    label_width: int = 210,
) -> Markup:
    """Horizontal bars; ``rows`` are (label, value or None if suppressed, value text)."""
    chart_id = f"chart{next(_ids)}"
    bar_h, gap, top = 22, 8, 10
    height = top + len(rows) * (bar_h + gap) + 24
    plot_w = width - label_width - 60
    top_value = _nice_max(max((v for _l, v, _t in rows if v is not None), default=0.0))
    parts = _head(chart_id, width, height, title, desc)
    axis_y = top + len(rows) * (bar_h + gap)
    parts.append(
        f'<line x1="{label_width}" y1="{top - 4}" x2="{label_width}" y2="{axis_y}" '
        'stroke="#555" stroke-width="1"/>'
    )
    for i in range(5):
        tick = top_value * i / 4
        x = label_width + plot_w * i / 4
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#333">'
            f"{escape(_fmt(tick))}</text>"
        )
    for index, (label, value, text) in enumerate(rows):
        y = top + index * (bar_h + gap)
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" '
            f'fill="#222">{escape(short)}</text>'
        )
        if value is not None and value > 0:
            w = plot_w * value / top_value
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{PALETTE[0]}"/>'
            )
            text_x = label_width + w + 4
        else:
            text_x = label_width + 4
        parts.append(
            f'<text x="{text_x:.1f}" y="{y + bar_h * 0.7:.1f}" fill="#222">{escape(text)}</text>'
        )
    parts.append("</svg>")
    # Every interpolated text went through escape(); numbers are formatted by us.
    return Markup("".join(parts))  # noqa: S704


def line_chart(
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    width: int = 640,
    height: int = 280,
) -> Markup:
    """Lines over periods; a None value (suppressed or missing) leaves a gap."""
    chart_id = f"chart{next(_ids)}"
    left, right, top = 48, 16, 12
    legend_h = 18 * ((len(series) + 2) // 3)
    bottom = 40 + legend_h
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _n, vals in series for v in vals if v is not None]
    top_value = _nice_max(max(values, default=0.0))
    parts = _head(chart_id, width, height, title, desc)
    for i in range(5):
        tick = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#333">'
            f"{escape(_fmt(tick))}</text>"
        )
    n = len(x_labels)
    step = plot_w / max(n - 1, 1)
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            x = left + (i * step if n > 1 else plot_w / 2)
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#333">'
                f"{escape(label)}</text>"
            )
    for s_index, (name, vals) in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(vals):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = left + (i * step if n > 1 else plot_w / 2)
            y = top + plot_h - plot_h * value / top_value
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
        lx = left + (s_index % 3) * (plot_w / 3)
        ly = top + plot_h + 34 + 18 * (s_index // 3)
        short = name if len(name) <= 28 else name[:27] + "…"
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 16:.1f}" y="{ly + 1}" fill="#222">{escape(short)}</text>')
    parts.append("</svg>")
    # Every interpolated text went through escape(); numbers are formatted by us.
    return Markup("".join(parts))  # noqa: S704
