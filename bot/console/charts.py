"""Server-side SVG charts: horizontal bars, heat-map cells and sparklines, as markup the templates embed.

No script, no outside file: a chart is a few rects and text elements, readable at 390 px and printable.
Every label passes through markupsafe.escape (company names and tags are user input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BLUE = "#1456f0"
GREY = "#eff0f1"
TEXT = "#1f2329"
MUTED = "#646a73"
# Heat levels, from no activity to the busiest cell.
HEAT = ("#eff0f1", "#c6dafc", "#8fb4f8", "#4e83f3", "#1456f0")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the chart prints it (¥1.2万, 35%, 12)
    href: str | None = None


def _svg(width: int, height: int, body: str, title: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def _linked(inner: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def bars(items: Sequence[Bar], *, title: str, width: int = 360, label_width: int = 92, row: int = 26) -> Markup:
    """One horizontal bar per item, scaled to the largest value; a bar with an href opens it."""
    top = max((item.value for item in items), default=0) or 1
    track = width - label_width - 70
    parts = []
    for i, item in enumerate(items):
        y = i * row
        length = max(item.value / top * track, 2 if item.value else 0)
        parts.append(
            _linked(
                f'<text x="0" y="{y + 17}" font-size="13" fill="{TEXT}">{escape(item.label)}</text>'
                f'<rect x="{label_width}" y="{y + 5}" width="{track}" height="14" rx="3" fill="{GREY}"/>'
                f'<rect x="{label_width}" y="{y + 5}" width="{length:.1f}" height="14" rx="3" fill="{BLUE}"/>'
                f'<text x="{label_width + track + 6}" y="{y + 17}" font-size="12" fill="{MUTED}">'
                f"{escape(item.shown)}</text>",
                item.href,
            )
        )
    return _svg(width, max(len(items) * row, row), "".join(parts), title)


def heat_level(count: int, busiest: int) -> int:
    """0 for none, else 1–4 by the share of the busiest cell."""
    if count <= 0 or busiest <= 0:
        return 0
    return min(len(HEAT) - 1, 1 + (len(HEAT) - 2) * count // busiest)


def heatmap(
    rows: Sequence[tuple[str, Sequence[int]]],
    columns: Sequence[str],
    *,
    title: str,
    flagged: frozenset[str] = frozenset(),
    cell: int = 16,
    gap: int = 3,
    label_width: int = 64,
) -> Markup:
    """One row of cells per person and one column per day; darker is busier. `columns` label the days (an empty
    string for no label); a flagged row's name is red."""
    busiest = max((c for _, counts in rows for c in counts), default=0)
    step = cell + gap
    head = 14
    parts = [
        f'<text x="{label_width + i * step}" y="10" font-size="10" fill="{MUTED}">{escape(label)}</text>'
        for i, label in enumerate(columns)
        if label
    ]
    for r, (name, counts) in enumerate(rows):
        y = head + r * step
        colour = "#d83931" if name in flagged else TEXT
        parts.append(f'<text x="0" y="{y + cell - 3}" font-size="12" fill="{colour}">{escape(name[:6])}</text>')
        for c, count in enumerate(counts):
            parts.append(
                f'<rect x="{label_width + c * step}" y="{y}" width="{cell}" height="{cell}" rx="2" '
                f'fill="{HEAT[heat_level(count, busiest)]}"><title>{count}</title></rect>'
            )
    width = label_width + len(columns) * step
    return _svg(width, head + max(len(rows), 1) * step, "".join(parts), title)


def sparkline(values: Sequence[float], *, title: str, width: int = 96, height: int = 24) -> Markup:
    """A small trend line (oldest left), with the last point marked."""
    if not values:
        return _svg(width, height, "", title)
    top, n = max(max(values), 1), len(values)
    step = width / max(n - 1, 1)
    points = [(i * step, height - 3 - (v / top) * (height - 6)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    body = (
        f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="1.5"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" fill="{BLUE}"/>'
    )
    return _svg(width, height, body, title)
