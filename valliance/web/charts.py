"""Bar charts drawn on the server as inline SVG (no script, no CDN; they print as they show).

A chart draws columns of stacked bars: one column per label, one bar per series. Each bar
carries a <title> (its tooltip) so the figures are read without the table beside the chart.
"""

from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 230
LEFT, RIGHT, TOP, BOTTOM = 80, 8, 14, 32
#: large enough to read when the chart is drawn at a phone's width (about half size)
FONT = 15
MUTED, AXIS = "#6e6e73", "#c7c7cc"
#: series colours, darkest first (distinct in greyscale print too)
PALETTE = ("#b3122e", "#e0707f", "#7a7a80", "#d4a017", "#2e6fb3")


@dataclass(frozen=True)
class Column:
    label: str  #: under the axis (shown for the first, middle and last columns)
    values: tuple[int, ...]  #: one per series, stacked bottom up
    tooltip: str


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def bar_chart_svg(columns: list[Column], *, title: str, empty_text: str,
                  axis_label: Callable[[int], str] = lambda value: f"{value:,}",
                  colors: tuple[str, ...] = PALETTE, css_class: str = "bar-chart",
                  every_label: bool = False, grouped: bool = False, scale: int | None = None,
                  rule: tuple[int, str] | None = None) -> str:
    """Stacked bars (side by side when grouped), one column per entry; an empty chart says
    empty_text instead. `scale` fixes the top of the axis (a share: 1000 per mille); `rule`
    draws a dashed line across at a value, with its label (a target)."""
    parts = [f'<svg class="{_attr(css_class)}" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{_attr(title)}">'
             f"<title>{escape(title)}</title>"]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" '
                 f'stroke="{AXIS}" stroke-width="1"/>')
    height_of = max if grouped else sum
    top = max((height_of([max(v, 0) for v in column.values] or [0]) for column in columns),
              default=0)
    if top <= 0 and not (scale and columns):
        parts.append(f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" '
                     f'font-size="{FONT + 2}" fill="{MUTED}">{escape(empty_text)}</text></svg>')
        return "".join(parts)
    top = scale or top
    parts.append(f'<text x="{LEFT - 6}" y="{TOP + FONT - 2}" text-anchor="end" font-size="{FONT}" '
                 f'fill="{MUTED}">{escape(axis_label(top))}</text>'
                 f'<text x="{LEFT - 6}" y="{base}" text-anchor="end" font-size="{FONT}" '
                 f'fill="{MUTED}">{escape(axis_label(0))}</text>')
    slot = plot_w / len(columns)
    for index, column in enumerate(columns):
        x, y = LEFT + index * slot + slot * 0.15, float(base)
        width = slot * 0.7 / (len(column.values) if grouped else 1)
        parts.append(f"<g><title>{escape(column.tooltip)}</title>")
        for series, value in enumerate(column.values):
            height = plot_h * max(value, 0) / top
            y = base - height if grouped else y - height
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                         f'height="{height:.1f}" fill="{colors[series % len(colors)]}"/>')
            x += width if grouped else 0
        parts.append("</g>")
    if rule is not None:
        parts.append(_rule(base - plot_h * rule[0] / top, rule[1]))
    shown = range(len(columns)) if every_label else sorted(
        {0, len(columns) // 2, len(columns) - 1})
    for index in shown:
        x, anchor = LEFT + index * slot + slot / 2, "middle"
        if not every_label and index == 0 and len(columns) > 1:
            x, anchor = LEFT, "start"  # the ends stay inside the drawing
        elif not every_label and index == len(columns) - 1 and len(columns) > 1:
            x, anchor = WIDTH - RIGHT, "end"
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" '
                     f'font-size="{FONT}" fill="{MUTED}">{escape(columns[index].label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _rule(y: float, label: str) -> str:
    """A dashed line across the plot at y, its label above its left end (the oldest
    columns are the likeliest empty)."""
    return (f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{PALETTE[4]}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{LEFT + 4}" y="{y - 6:.1f}" text-anchor="start" font-size="{FONT}" '
            f'fill="{PALETTE[4]}">{escape(label)}</text>')
