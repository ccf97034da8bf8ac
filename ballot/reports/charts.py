"""Server-side SVG pictures for the reports: no JavaScript, no library, text escaped.

Pure functions: plain values in, an SVG string (``Markup``) out, with ``role="img"`` and a
``<title>`` so a screen reader can name it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

#: The order of the segments in a rating bar, as on the forms (A8.5), then abstentions.
SEGMENTS = ("excellent", "competent", "basically_competent", "incompetent", "abstain")
COLOURS = {
    "excellent": "#2e7d32",
    "competent": "#7cb342",
    "basically_competent": "#f9a825",
    "incompetent": "#c62828",
    "abstain": "#bdbdbd",
}
#: The A12 band lines on the score axis.
BAND_LINES = (60, 80, 90)

_NAME_WIDTH = 120
_BAR_WIDTH = 420
_ROW = 26


@dataclass(frozen=True)
class RatingBar:
    """One member's counts: keys of ``counts`` are SEGMENTS."""

    label: str
    counts: Mapping[str, int]


def _num(value: Decimal | int) -> str:
    """A coordinate with at most two decimals, no exponent."""
    return f"{Decimal(value).quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(body) + "</svg>")


def rating_bars(title: str, bars: Sequence[RatingBar], segment_labels: Mapping[str, str]) -> Markup:
    """A stacked horizontal bar per member: Excellent, Competent, Basically competent,
    Incompetent and abstained counts; bar lengths share one scale (the largest total)."""
    largest = max((sum(bar.counts.get(s, 0) for s in SEGMENTS) for bar in bars), default=0)
    legend_y = 18
    top = 34
    height = top + _ROW * len(bars) + 8
    width = _NAME_WIDTH + _BAR_WIDTH + 50
    body = []
    x = _NAME_WIDTH
    for segment in SEGMENTS:
        body.append(f'<rect x="{x}" y="{legend_y - 10}" width="10" height="10" '
                    f'fill="{COLOURS[segment]}"/>'
                    f'<text x="{x + 14}" y="{legend_y}" font-size="11">'
                    f"{escape(segment_labels.get(segment, segment))}</text>")
        x += 14 + 12 * len(str(segment_labels.get(segment, segment))) + 10
    for index, bar in enumerate(bars):
        y = top + index * _ROW
        body.append(f'<text x="{_NAME_WIDTH - 6}" y="{y + 15}" font-size="12" '
                    f'text-anchor="end">{escape(bar.label)}</text>')
        offset = Decimal(_NAME_WIDTH)
        total = 0
        for segment in SEGMENTS:
            count = bar.counts.get(segment, 0)
            total += count
            if count <= 0 or largest == 0:
                continue
            length = Decimal(_BAR_WIDTH) * count / largest
            name = segment_labels.get(segment, segment)
            body.append(
                f'<rect class="seg {segment}" data-count="{count}" x="{_num(offset)}" y="{y + 3}" '
                f'width="{_num(length)}" height="{_ROW - 8}" fill="{COLOURS[segment]}">'
                f"<title>{escape(bar.label)} · {escape(name)}：{count}</title></rect>"
            )
            offset += length
        body.append(f'<text x="{_num(offset + 4)}" y="{y + 15}" font-size="11">{total}</text>')
    return _svg(width, height, title, body, "rating-bars")


def score_spread(title: str, points: Sequence[tuple[str, Decimal | None]],
                 missing_label: str = "—") -> Markup:
    """The county's composites on a 0-100 axis, one row per member, with the A12 band lines at
    60, 80 and 90; a member without a composite shows ``missing_label``."""
    top, bottom = 20, 24
    height = top + _ROW * len(points) + bottom
    width = _NAME_WIDTH + _BAR_WIDTH + 30
    scale = Decimal(_BAR_WIDTH) / 100

    def x_of(value: Decimal | int) -> Decimal:
        clamped = min(max(Decimal(value), Decimal(0)), Decimal(100))
        return _NAME_WIDTH + clamped * scale

    axis_y = top + _ROW * len(points) + 4
    body = [f'<line class="axis" x1="{_NAME_WIDTH}" y1="{axis_y}" x2="{_NAME_WIDTH + _BAR_WIDTH}" '
            f'y2="{axis_y}" stroke="#555"/>']
    for tick in (0, 20, 40, 60, 80, 100):
        body.append(f'<text x="{_num(x_of(tick))}" y="{axis_y + 14}" font-size="10" '
                    f'text-anchor="middle">{tick}</text>')
    for line in BAND_LINES:
        body.append(f'<line class="band" data-band="{line}" x1="{_num(x_of(line))}" y1="{top - 6}" '
                    f'x2="{_num(x_of(line))}" y2="{axis_y}" stroke="#888" stroke-dasharray="4 3"/>')
        body.append(f'<text x="{_num(x_of(line))}" y="{top - 8}" font-size="10" '
                    f'text-anchor="middle">{line}</text>')
    for index, (label, value) in enumerate(points):
        y = top + index * _ROW + _ROW // 2
        body.append(f'<text x="{_NAME_WIDTH - 6}" y="{y + 4}" font-size="12" '
                    f'text-anchor="end">{escape(label)}</text>')
        if value is None:
            body.append(f'<text class="missing" x="{_NAME_WIDTH + 4}" y="{y + 4}" font-size="11" '
                        f'fill="#c62828">{escape(missing_label)}</text>')
            continue
        body.append(
            f'<circle class="point" data-score="{escape(str(value))}" cx="{_num(x_of(value))}" '
            f'cy="{y}" r="5" fill="#1565c0"><title>{escape(label)}：{escape(str(value))}</title>'
            f"</circle>"
        )
    return _svg(width, height, title, body, "score-spread")
