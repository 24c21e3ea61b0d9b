"""The ranked matrix as CSV and PDF for the panel record. Only after prices are revealed; an unsuitable
proposal's price is never written (its price columns are empty)."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from fpdf import FPDF

from tendering.award import MatrixRow, matrix
from tendering.models import OUTCOMES, Referral

LATIN1_SWAPS = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                "\u2026": "...", "\u00a0": " ", "\u2022": "*"}


def _number(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    return value


def headers() -> list[str]:
    return ["Proposal", "Provider", "Home", *OUTCOMES.values(), "Quality %", "Suitable", "Weekly cost (GBP)",
            "Price score", "Final score", "Rank", "Submitted on"]


def rows(referral: Referral) -> list[list]:
    out = []
    for row in matrix(referral):
        p = row.proposal
        priced = row.priced
        out.append([row.label, p.provider.name, p.setting.name if p.setting else "",
                    *[_number(row.scores[code]) for code in OUTCOMES], _number(p.quality_percent),
                    "yes" if p.suitable else "no",
                    _number(Decimal(p.weekly_cost_pence) / 100) if priced else "",
                    _number(p.price_score) if priced else "", _number(p.final_score) if priced else "",
                    p.rank if priced else "", p.submitted_at.date().isoformat() if p.submitted_at else ""])
    return out


def to_csv(referral: Referral) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers())
    writer.writerows(rows(referral))
    return buffer.getvalue()


def latin1(text) -> str:
    text = "" if text is None else str(text)
    for bad, good in LATIN1_SWAPS.items():
        text = text.replace(bad, good)
    return text.encode("latin-1", "replace").decode("latin-1")


def _fmt(value) -> str:
    if value == "" or value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def to_pdf(referral: Referral) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(latin1(f"Referral {referral.id} - ranked results"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 9, latin1(f"Referral {referral.id} - ranked results"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    method = "Lowest price among suitable proposals" if referral.price_method == "lowest_price" else \
        f"Quality and price weighting ({referral.quality_weight}/{100 - referral.quality_weight})"
    for line in (f"Case reference: {referral.case_reference or 'none'}", f"Price method: {method}",
                 f"Minimum outcome score: {referral.min_outcome_score}; quality threshold: "
                 f"{referral.quality_threshold}%",
                 "Outcome scores are moderated scores (0-4). Prices are shown for suitable proposals only."):
        pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    head = ["Proposal", "Provider", "Home", "Healthy", "Safe", "Enjoy", "Contrib.", "Econ.", "Quality %",
            "Suitable", "Weekly GBP", "Price sc.", "Final", "Rank"]
    widths = [18, 42, 40, 15, 13, 13, 15, 13, 18, 16, 24, 17, 15, 12]
    pdf.set_font("Helvetica", "B", 8)
    for text, width in zip(head, widths):
        pdf.cell(width, 7, latin1(text), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for values in rows(referral):
        cells = values[:-1]  # the submitted date is in the CSV only
        for value, width in zip(cells, widths):
            pdf.cell(width, 6, latin1(_fmt(value))[:30], border=1)
        pdf.ln()
    return bytes(pdf.output())


__all__ = ["MatrixRow", "headers", "rows", "to_csv", "to_pdf"]
