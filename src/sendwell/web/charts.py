"""Charts drawn on the server as inline SVG: no chart library, nothing loaded from elsewhere."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 640, 160, 24


def bar_chart(series: Sequence[tuple[str, Sequence[int], str]], title: str) -> Markup:
    """Bars per time bucket, one colour class per series (``(label, counts, css class)``),
    side by side in each bucket; a legend and the peak value as the scale."""
    buckets = max((len(counts) for _, counts, _ in series), default=0)
    peak = max((max(counts, default=0) for _, counts, _ in series), default=0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + PAD}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}"/>',
        f'<text class="scale" x="0" y="12">{peak:,}</text>',
    ]
    if buckets and peak:
        slot = (WIDTH - PAD) / buckets
        bar = max(slot / max(len(series), 1) - 1, 1)
        for index, (label, counts, css) in enumerate(series):
            for n, value in enumerate(counts):
                if not value:
                    continue
                h = (HEIGHT - 16) * value / peak
                x = PAD + n * slot + index * bar
                parts.append(
                    f'<rect class="{escape(css)}" x="{x:.1f}" y="{HEIGHT - h:.1f}" '
                    f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(label)}: {value:,}'
                    "</title></rect>"
                )
    for index, (label, counts, css) in enumerate(series):
        x = PAD + index * 150
        parts.append(
            f'<rect class="{escape(css)}" x="{x}" y="{HEIGHT + 8}" width="10" height="10"/>'
            f'<text x="{x + 14}" y="{HEIGHT + 17}">{escape(label)} ({sum(counts):,})</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
