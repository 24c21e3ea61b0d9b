"""Server-rendered SVG charts: horizontal bars and a line, no JavaScript and nothing from a CDN.

Each chart is an <svg role="img"> labelled by its own <title> and <desc> (a plain summary of the figures);
the page always shows the same figures in a data table beneath it. Colours are presentation attributes
(the content security policy forbids inline styles)."""
from __future__ import annotations

from markupsafe import Markup, escape

from tendering.sufficiency import Chart

WIDTH = 680
LABEL_WIDTH = 230
VALUE_WIDTH = 90
ROW = 30
BLUE = "#1d70b8"
ORANGE = "#f47738"
TEXT = "#0b0c0c"
GRID = "#b1b4b6"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "not known"
    if unit == "money":
        sign = "−" if value < 0 else ""
        return f"{sign}£{abs(value) / 100:,.0f}"
    if unit == "percent":
        return f"{value:g}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(chart: Chart) -> str:
    if not chart.values:
        return "No figures for these filters."
    pairs = list(zip(chart.labels, chart.values))
    biggest = max(pairs, key=lambda p: p[1])
    kind = "Line chart" if chart.kind == "line" else "Bar chart"
    parts = [f"{kind} of {len(pairs)} values. Highest: {biggest[0]}, {fmt(biggest[1], chart.unit)}."]
    if chart.kind == "line" and len(pairs) > 1:
        parts.append(f"From {pairs[0][0]} ({fmt(pairs[0][1], chart.unit)}) to {pairs[-1][0]} "
                     f"({fmt(pairs[-1][1], chart.unit)}).")
    if chart.highlight_note:
        parts.append(chart.highlight_note + " (highlighted).")
    parts.append("The table below gives every figure.")
    return " ".join(parts)


def _open(chart_id: str, title: str, chart: Chart, height: int) -> list[str]:
    return [f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(describe(chart))}</desc>']


def bar(chart: Chart, chart_id: str, title: str) -> str:
    values = [float(v or 0) for v in chart.values]
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    zero = LABEL_WIDTH + plot * (0 - low) / span
    legend = 24 if chart.highlight else 0
    height = ROW * len(values) + 10 + legend
    out = _open(chart_id, title, chart, height)
    out.append(f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{ROW * len(values)}" stroke="{GRID}"/>')
    for i, (label, value) in enumerate(zip(chart.labels, values)):
        y = i * ROW
        length = plot * abs(value) / span
        x = zero if value >= 0 else zero - length
        colour = ORANGE if label in chart.highlight else BLUE
        out.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 20}" text-anchor="end" font-size="14" '
                   f'fill="{TEXT}">{escape(_short(str(label)))}</text>')
        out.append(f'<rect x="{x:.1f}" y="{y + 6}" width="{max(length, 1):.1f}" height="{ROW - 10}" fill="{colour}"/>')
        text_x = (x + length + 6) if value >= 0 else (x - 6)
        anchor = "start" if value >= 0 else "end"
        if value < 0 and text_x < LABEL_WIDTH + 40:
            text_x, anchor = zero + 6, "start"
        out.append(f'<text x="{text_x:.1f}" y="{y + 20}" text-anchor="{anchor}" font-size="14" '
                   f'fill="{TEXT}">{escape(fmt(value, chart.unit))}</text>')
    if chart.highlight:
        y = ROW * len(values) + 8
        out.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="14" height="14" fill="{ORANGE}"/>')
        out.append(f'<text x="{LABEL_WIDTH + 20}" y="{y + 12}" font-size="14" fill="{TEXT}">'
                   f'{escape(chart.highlight_note or "Highlighted")}</text>')
    out.append("</svg>")
    return "".join(out)


def line(chart: Chart, chart_id: str, title: str) -> str:
    values = [float(v or 0) for v in chart.values]
    height, left, right, top, bottom = 260, 60, 20, 16, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    high = max(values) or 1.0
    step = plot_w / max(len(values) - 1, 1)
    out = _open(chart_id, title, chart, height)
    for k in range(5):
        v = high * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="13" '
                   f'fill="{TEXT}">{escape(fmt(v, chart.unit))}</text>')
    points = [(left + i * step, top + plot_h - plot_h * v / high) for i, v in enumerate(values)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="3"/>')
    every = max(1, len(points) // 8 + (1 if len(points) % 8 else 0)) if len(points) > 8 else 1
    for i, ((x, y), label) in enumerate(zip(points, chart.labels)):
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BLUE}"/>')
        if i % every == 0 or i == len(points) - 1:
            out.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" font-size="13" '
                       f'fill="{TEXT}">{escape(str(label))}</text>')
    out.append("</svg>")
    return "".join(out)


def render(chart: Chart | None, chart_id: str, title: str) -> Markup:
    """The chart's SVG, or nothing when there is no chart or nothing to draw (the table says so)."""
    if chart is None or not chart.values:
        return Markup("")
    return Markup(line(chart, chart_id, title) if chart.kind == "line" else bar(chart, chart_id, title))
