"""The forum pack: the same suppressed aggregates as the forum page, as CSV and as a PDF (fpdf2)."""
from __future__ import annotations

import csv
import io

from fpdf import FPDF

from quality.forums import SUPPRESSED, Filters, KindGroup
from quality.themes import THEMES

HEADER = ["Section", "Kind of home", "Theme", "Mean score (1 to 5)", "Median score", "Responses"]


def rows(filters: Filters, groups: list[KindGroup], comparison: dict | None = None) -> list[list[str]]:
    out = []
    for group in groups:
        out.append(["Market", group.label, "All themes", "", "", group.responses.count_text])
        for theme, figure in group.themes.items():
            out.append(["Market", group.label, THEMES[theme], figure.text("mean"), figure.text("median"),
                        figure.count_text])
    if comparison:
        kind = groups[0].label if filters.kind and groups else "All kinds of home"
        for theme, pair in comparison["themes"].items():
            own, market = pair["own"], pair["market"]
            out.append(["Your homes", kind, THEMES[theme], own.text("mean"), own.text("median"), own.count_text])
            out.append(["Market median", kind, THEMES[theme], market.text("mean"), market.text("median"),
                        market.count_text])
    return out


def to_csv(filters: Filters, groups: list[KindGroup], comparison: dict | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"Homefinder forum pack: {filters.describe()}"])
    writer.writerow([f"Figures from fewer than 5 responses are shown as '{SUPPRESSED}'."])
    writer.writerow(HEADER)
    writer.writerows(rows(filters, groups, comparison))
    return buffer.getvalue().encode("utf-8-sig")


def _latin1(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(filters: Filters, groups: list[KindGroup], comparison: dict | None = None,
           meeting_title: str | None = None) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title("Homefinder forum pack")
    pdf.set_compression(False)  # small file; keeps its text searchable by tests and tools
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(meeting_title or "Provider forum pack"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, _latin1(f"Feedback from children, carers and professionals: {filters.describe()}. "
                                 f"Scores are 1 (worst) to 5 (best). Any figure from fewer than 5 responses is "
                                 f"shown as '{SUPPRESSED}'."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (45, 60, 95, 30, 25, 40)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=6) as table:
        table.row([_latin1(h) for h in HEADER])
        for row in rows(filters, groups, comparison):
            table.row([_latin1(c) for c in row])
    comments = [(g.label, c) for g in groups for c in g.comments]
    if comments:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, "Moderated comments", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for label, comment in comments:
            pdf.multi_cell(0, 6, _latin1(f"{label}: \"{comment}\""), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
