"""Bar charts drawn on the server as SVG, for the page and the PDF alike.

Hand-written rather than a charting library: a horizontal bar chart is a few rectangles and
labels, the PDF (WeasyPrint) needs plain inline SVG without JavaScript, and the page shows the
same figures in an accessible data table beside each chart (the SVG is ``role="img"`` with a
title; screen readers read the table)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT, GAP, LABEL_WIDTH, CHART_WIDTH, VALUE_WIDTH = 22, 8, 150, 480, 90
COLOUR = "#000091"  # DSFR « bleu France »


def bar_chart(*, rows: list[tuple[str, Decimal | int | float]], title: str, unit: str, chart_id: str) -> SafeString:
    """Horizontal bars, one per (label, value), scaled to the largest value; empty rows give an
    empty chart with its title."""
    count = max(len(rows), 1)
    height = count * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + CHART_WIDTH + VALUE_WIDTH
    largest = max((float(value or 0) for _label, value in rows), default=0.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="miam-chart" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" font-family="Marianne, DejaVu Sans, Arial, sans-serif" font-size="12">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        number = float(value or 0)
        bar = 0 if largest <= 0 else max(1.0, CHART_WIDTH * number / largest) if number > 0 else 0
        shown = number_format(value if value is not None else 0, decimal_pos=0, use_l10n=True, force_grouping=True)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end">{escape(str(label)[:24])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar:.1f}" height="{BAR_HEIGHT}" fill="{COLOUR}"></rect>'
            f'<text x="{LABEL_WIDTH + bar + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}">{escape(shown)} {escape(unit)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
