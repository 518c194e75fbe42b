"""The balance-over-time chart of the history page, drawn server-side as inline SVG (no JS)."""

from datetime import datetime, tzinfo
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 320, 160
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 24  # room for the axis labels


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def balance_svg(points: list[tuple[datetime, int]], *, title: str = "积分余额",
                empty_text: str = "暂无记录", tz: tzinfo | None = None) -> str:
    """Draw [(when, balance after)] as a step line; handles no point and a single point."""
    head = (f'<svg class="balance-chart" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{_attr(title)}">'
            f"<title>{escape(title)}</title>")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    axis = (f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
            f'y2="{TOP + plot_h}" stroke="#c7c7cc" stroke-width="1"/>')
    if not points:
        return (head + axis + f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" '
                f'font-size="13" fill="#6e6e73">{escape(empty_text)}</text></svg>')

    points = sorted(points, key=lambda p: p[0])
    top_value = max(max(balance for _, balance in points), 1)
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds()

    def x_of(index: int, when: datetime) -> float:
        if len(points) == 1:
            return LEFT + plot_w / 2
        if span <= 0:  # every entry at the same instant: spread them evenly
            return LEFT + plot_w * index / (len(points) - 1)
        return LEFT + plot_w * (when - start).total_seconds() / span

    def y_of(balance: int) -> float:
        return TOP + plot_h - plot_h * max(balance, 0) / top_value

    coords = [(x_of(i, when), y_of(balance)) for i, (when, balance) in enumerate(points)]
    path = [f"M{coords[0][0]:.1f},{coords[0][1]:.1f}"]
    for x, y in coords[1:]:
        path.append(f"H{x:.1f}V{y:.1f}")  # a balance holds until the next entry changes it
    if len(coords) == 1:
        path = [f"M{LEFT},{coords[0][1]:.1f}H{WIDTH - RIGHT}"]
    last_x, last_y = coords[-1]

    def day(when: datetime) -> str:
        return (when.astimezone(tz) if tz else when).strftime("%Y-%m-%d")

    labels = (
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" font-size="10" '
        f'fill="#6e6e73">{top_value:,}</text>'
        f'<text x="{LEFT - 4}" y="{TOP + plot_h + 4}" text-anchor="end" font-size="10" '
        f'fill="#6e6e73">0</text>'
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="10" fill="#6e6e73">{day(start)}</text>'
    )
    if len(points) > 1 and day(end) != day(start):
        labels += (f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" '
                   f'font-size="10" fill="#6e6e73">{day(end)}</text>')
    return (head + axis + labels
            + f'<path class="line" d="{"".join(path)}" fill="none" stroke="#b3122e" '
              f'stroke-width="2" stroke-linejoin="round"/>'
            + f'<circle class="dot" cx="{last_x:.1f}" cy="{last_y:.1f}" r="3" fill="#b3122e"/>'
            + "</svg>")
