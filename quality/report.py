"""The monitoring visit report: the facts shown on the report page and the same facts as a PDF (fpdf2,
core fonts; text is made latin-1 safe)."""
from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF
from sqlalchemy import select

from portal.core import db
from quality.models import (ACTION_OWNERS, ACTION_PRIORITIES, JUDGEMENTS, OVERALL_JUDGEMENTS, VISIT_KINDS,
                            MonitoringVisit, QaAction)
from quality.visits import STATUS_LABELS

_REPLACE = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
            "\u2026": "...", "\u00a0": " ", "\u2022": "-"}


@dataclass
class Report:
    visit: MonitoringVisit
    judgements: list  # VisitJudgement rows in framework order
    actions: list[QaAction]


def build(visit: MonitoringVisit) -> Report:
    judgements = sorted(visit.judgements, key=lambda j: (j.standard.position, j.standard.id))
    actions = list(db.session.scalars(select(QaAction).where(QaAction.visit_id == visit.id).order_by(QaAction.id)))
    return Report(visit, judgements, actions)


def latin1(text: str | None) -> str:
    text = text or ""
    for a, b in _REPLACE.items():
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def _date(d) -> str:
    return d.strftime("%-d %B %Y") if d else "-"


def pdf_bytes(report: Report) -> bytes:
    visit = report.visit
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Monitoring visit report: {visit.setting.name}"))
    pdf.set_author("Homefinder")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: int = 14) -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(width, 8, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def para(text: str, style: str = "") -> None:
        pdf.set_font("Helvetica", style, 11)
        pdf.multi_cell(width, 6, latin1(text), new_x="LMARGIN", new_y="NEXT")

    heading("Monitoring visit report", 18)
    para(f"{visit.setting.name} (URN {visit.setting.urn}) - {visit.provider.name}", "B")
    para(f"Visited on {_date(visit.visited_on)} by {visit.council.name}. "
         f"Kind of visit: {VISIT_KINDS[visit.kind].lower()}. Status: {STATUS_LABELS[visit.status].lower()}.")
    if visit.report_issued_at:
        para(f"Report issued on {_date(visit.report_issued_at)}.")
    if visit.trigger_reason:
        para(f"Concern that triggered the visit: {visit.trigger_reason}")
    pdf.ln(3)
    heading(f"Overall judgement: {OVERALL_JUDGEMENTS.get(visit.overall_judgement or '', 'Not recorded')}")
    if visit.summary:
        para(visit.summary)
    pdf.ln(3)
    heading("Standards")
    for row in report.judgements:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(width, 6, latin1(f"{row.standard.title}: {JUDGEMENTS[row.judgement]}"),
                       new_x="LMARGIN", new_y="NEXT")
        para(row.evidence)
        pdf.ln(2)
    heading("Actions")
    if not report.actions:
        para("No actions were set at this visit.")
    for action in report.actions:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(width, 6, latin1(f"{ACTION_PRIORITIES[action.priority]} priority, owned by the "
                                        f"{ACTION_OWNERS[action.owner].lower()}, due {_date(action.due_on)}"),
                       new_x="LMARGIN", new_y="NEXT")
        para(action.description)
        pdf.ln(2)
    return bytes(pdf.output())
