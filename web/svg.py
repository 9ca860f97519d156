"""Small charts drawn on the server as SVG strings: sparklines and horizontal bars.

Pure functions of plain numbers; the numbers and labels are escaped here, since the caller
marks the result safe to put it in a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def sparkline(values: Sequence[float], *, width: int = 100, height: int = 24, label: str = "") -> str:
    """A line over ``values`` (oldest first); an all-zero or empty series is a flat line."""
    title = f"<title>{escape(label)}</title>" if label else ""
    if not values:
        values = [0.0]
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 1 - (v / top) * (height - 2):.1f}" for i, v in enumerate(values)
    )
    return (
        f'<svg class="spark" role="img" aria-label="{escape(label)}" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">{title}'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/></svg>'
    )


def bars(rows: Sequence[tuple[str, float]], *, width: int = 320, bar_height: int = 16, label: str = "") -> str:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    if not rows:
        return ""
    top = max(v for _, v in rows) or 1.0
    text_width = 120
    span = width - text_width - 50
    height = len(rows) * (bar_height + 6)
    parts = [
        f'<svg class="bars" role="img" aria-label="{escape(label)}" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
    ]
    for i, (name, value) in enumerate(rows):
        y = i * (bar_height + 6)
        length = max(1.0, span * value / top)
        shown = f"{value:g}"
        parts.append(
            f'<text x="0" y="{y + bar_height - 3}" font-size="12">{escape(name[:18])}</text>'
            f'<rect x="{text_width}" y="{y}" width="{length:.1f}" height="{bar_height}" rx="2"/>'
            f'<text x="{text_width + length + 4:.1f}" y="{y + bar_height - 3}" font-size="12">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
