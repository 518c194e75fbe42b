"""The dashboard's daily sales chart, drawn server-side as inline SVG (no script, no CDN)."""

from datetime import date
from xml.sax.saxutils import escape

from valliance.money import format_yuan

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 28


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def daily_sales_svg(days: list[tuple[date, int, int]], *, title: str, empty_text: str,
                    axis_format: str = "%m-%d", tip_format: str = "%Y-%m-%d") -> str:
    """One bar per day (sales in fen); each bar's tooltip gives the day, sales and purchases.
    (The back office draws months with it: axis_format and tip_format "%Y-%m".)"""
    head = (f'<svg class="sales-chart" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{_attr(title)}">'
            f"<title>{escape(title)}</title>")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    parts = [head, f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" '
                   f'stroke="#c7c7cc" stroke-width="1"/>']
    top = max((sales for _, sales, _ in days), default=0)
    if top == 0:
        parts.append(f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" '
                     f'font-size="14" fill="#6e6e73">{escape(empty_text)}</text></svg>')
        return "".join(parts)
    slot = plot_w / len(days)
    parts.append(f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11" '
                 f'fill="#6e6e73">{escape(format_yuan(top))}</text>'
                 f'<text x="{LEFT - 6}" y="{base}" text-anchor="end" font-size="11" '
                 f'fill="#6e6e73">¥0</text>')
    for index, (day, sales, count) in enumerate(days):
        height = plot_h * sales / top
        x = LEFT + index * slot + slot * 0.15
        label = f"{day.strftime(tip_format)}: {format_yuan(sales)} · {count}"
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{base - height:.1f}" '
                     f'width="{slot * 0.7:.1f}" height="{height:.1f}" fill="#b3122e">'
                     f"<title>{escape(label)}</title></rect>")
    for index in (0, len(days) // 2, len(days) - 1):
        x = LEFT + index * slot + slot / 2
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" '
                     f'fill="#6e6e73">{days[index][0].strftime(axis_format)}</text>')
    parts.append("</svg>")
    return "".join(parts)
