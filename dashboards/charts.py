"""Server-rendered SVG bar charts (no JavaScript, nothing to vendor).

Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>``; the desc
says in words what the bars show (the range, the threshold and the periods below it), and
the page puts the same figures in a table beside the chart (WCAG 1.1.1 and 1.4.1: nothing
is told by colour alone). Colours are SVG presentation attributes (the portal's CSP has no
inline styles) with at least 3:1 contrast against white (WCAG 1.4.11).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 250
LEFT, RIGHT, TOP, BOTTOM = 70, 12, 24, 40
BAR = "#1d4f91"  # 8.9:1 on white
BELOW = "#a4262c"  # 7.0:1 on white
INK = "#1f2328"
GRID = "#8c959f"  # 3.0:1 on white


def money_short(value: Decimal) -> str:
    """$1.2M, $350k, $900: a bar's label (the table has the exact amount)."""
    v = float(value)
    if abs(v) >= 1_000_000:
        return f"${v / 1_000_000:.1f}M"
    if abs(v) >= 10_000:
        return f"${v / 1000:.0f}k"
    if abs(v) >= 1000:
        return f"${v / 1000:.1f}k"
    return f"${v:.0f}"


def percent_text(value: Decimal) -> str:
    """95%, 87.5%: a percentage without trailing zeros."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value)}%"
    return f"{value.normalize()}%"


def _nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above ``value`` (the money axis's top)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for m in (1, 2, 5, 10):
        if m * step >= value:
            return m * step
    return 10 * step


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    *,
    percent: bool = True,
    threshold: Decimal | None = None,
) -> SafeString:
    """An SVG bar chart of ``values`` (``None``: nothing measured, shown as a dash) over
    ``labels``: percentages on a 0–100 axis with an optional dashed ``threshold`` line (bars
    below it drawn in red and named in the desc), or money on an axis from $0."""
    fmt = percent_text if percent else money_short
    highest = max((float(v) for v in values if v is not None), default=0)
    top = 100.0 if percent else _nice_max(highest)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = []
    for i in range(5):  # gridlines and the y axis's labels
        v = top * i / 4
        yy = y(v)
        label = f"{v:.0f}%" if percent else money_short(Decimal(str(v)))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"'
            f' stroke-width="{1 if i else 1.5}"/>'
            f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="13"'
            f' fill="{INK}">{escape(label)}</text>'
        )
    slot = plot_w / max(len(values), 1)
    below = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        cx = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="13"'
            f' fill="{INK}">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{cx:.1f}" y="{y(0) - 4:.1f}" text-anchor="middle" font-size="13"'
                f' fill="{INK}">–</text>'
            )
            continue
        low = threshold is not None and value < threshold
        if low:
            below.append(label)
        h = max(plot_h * float(value) / top, 1 if value else 0)
        w = slot * 0.64
        if not percent and not value:
            continue  # nothing paid: no bar, no label (the table says $0.00)
        parts.append(
            f'<rect x="{cx - w / 2:.1f}" y="{y(0) - h:.1f}" width="{w:.1f}" height="{h:.1f}"'
            f' fill="{BELOW if low else BAR}"/>'
            f'<text x="{cx:.1f}" y="{y(0) - h - 4:.1f}" text-anchor="middle" font-size="12"'
            f' fill="{INK}">{escape(fmt(value))}</text>'
        )
        if low and h >= 20:  # marked inside the bar too: not told by colour alone
            parts.append(
                f'<text x="{cx:.1f}" y="{y(0) - 6:.1f}" text-anchor="middle" font-size="13"'
                f' fill="#ffffff" aria-hidden="true">▼</text>'
            )
    if threshold is not None:
        ty = y(float(threshold))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{INK}"'
            f' stroke-width="1.5" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - RIGHT}" y="{ty - 4:.1f}" text-anchor="end" font-size="13"'
            f' fill="{INK}">threshold {escape(fmt(threshold))}</text>'
        )
    measured = [v for v in values if v is not None]
    desc = f"Bar chart by {'month' if len(labels) == 12 else 'period'}"
    if labels:
        desc += f" from {labels[0]} to {labels[-1]}"
    if measured:
        desc += f"; lowest {fmt(min(measured))}, highest {fmt(max(measured))}"
    else:
        desc += "; nothing measured yet"
    if threshold is not None:
        desc += f"; threshold {fmt(threshold)}"
        desc += f"; below it: {', '.join(below)}" if below else "; no period below it"
    desc += ". The table beside the chart has every figure."
    return mark_safe(  # noqa: S308 - every text in it is escaped above
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-t" aria-describedby="{chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>{"".join(parts)}</svg>'
    )
