"""Writing a referral: the task-list sections, when each is complete, and saving them (audited)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.core import db
from portal.core.audit import record
from portal.core.models import User
from portal.models import Need
from tendering.models import OUTCOMES, SEVERITIES, Referral, ReferralNeed

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[str, ...]  # the referral attributes it sets (for prefilling and the audit row)


SECTIONS: dict[str, Section] = {
    "child": Section("About the child", ("age", "sex", "legal_status", "group_size")),
    "needs": Section("Needs", ()),
    "identity": Section("Identity", ("cultural_needs", "religious_needs", "language_needs")),
    "education": Section("Education", ("education_status", "education_notes")),
    "outcomes": Section("Outcomes", tuple(f"outcome_{code}" for code in OUTCOMES)),
    "voice": Section("What matters to me", ("what_matters",)),
    "location": Section("Location", ("preferred_district", "max_distance_miles", "avoid_districts")),
    "timing": Section("Timing", ("emergency", "start_date", "expected_duration", "response_deadline",
                                 "clarification_cutoff")),
    "evaluation": Section("Evaluation", ("min_outcome_score", "quality_threshold", "outcome_weights",
                                         "price_method", "quality_weight")),
    "internal": Section("Internal only", ("case_reference", "budget_ceiling_pence", "home_district",
                                          "internal_notes")),
}
# Which section each scanned free-text field lives in, and its label (for the publish gate's errors).
FIELD_SECTIONS = {"cultural_needs": ("identity", "Cultural needs"), "religious_needs": ("identity", "Religious needs"),
                  "language_needs": ("identity", "Language needs"),
                  "education_notes": ("education", "Education notes"),
                  "what_matters": ("voice", "What matters to me"),
                  **{f"outcome_{code}": ("outcomes", f"Outcomes: {label}") for code, label in OUTCOMES.items()}}


class AuthoringError(Exception):
    """A change that is not allowed; the message is fit to show the officer."""


def from_london(moment: datetime) -> datetime:
    """A naive UK wall-clock time → an aware UTC datetime."""
    return moment.replace(tzinfo=LONDON).astimezone(timezone.utc)


def to_london(moment: datetime | None) -> datetime | None:
    return moment.astimezone(LONDON) if moment else None


def section_complete(referral: Referral, name: str) -> bool:
    r = referral
    if name == "child":
        return r.age is not None and bool(r.sex) and bool(r.legal_status) and bool(r.group_size)
    if name == "needs":
        return bool(r.needs)
    if name == "identity":
        return all((r.cultural_needs, r.religious_needs, r.language_needs))
    if name == "education":
        return bool(r.education_status)
    if name == "outcomes":
        return all(r.outcome_text(code) for code in OUTCOMES)
    if name == "voice":
        return bool(r.what_matters)
    if name == "location":
        return bool(r.preferred_district) and r.max_distance_miles is not None
    if name == "timing":
        return ((r.emergency or r.start_date is not None) and bool(r.expected_duration)
                and r.response_deadline is not None and r.clarification_cutoff is not None)
    if name == "evaluation":
        return sum((r.outcome_weights or {}).values()) == 100 and bool(r.price_method)
    if name == "internal":
        return bool(r.case_reference)
    raise KeyError(name)


def completion(referral: Referral) -> dict[str, bool]:
    return {name: section_complete(referral, name) for name in SECTIONS}


def form_data(referral: Referral, name: str) -> dict:
    """The stored answers in the shape the section's form expects (to prefill it)."""
    r = referral
    if name == "location":
        return {"preferred_district": r.preferred_district, "max_distance_miles": r.max_distance_miles,
                "avoid_districts": ", ".join(r.avoid_districts or [])}
    if name == "timing":
        deadline, cutoff = to_london(r.response_deadline), to_london(r.clarification_cutoff)
        return {"emergency": ("yes" if r.emergency else "no") if r.expected_duration or r.emergency else None,
                "start_date": r.start_date, "expected_duration": r.expected_duration,
                "deadline_date": deadline.date() if deadline else None,
                "deadline_time": deadline.strftime("%H:%M") if deadline else "",
                "cutoff_date": cutoff.date() if cutoff else None,
                "cutoff_time": cutoff.strftime("%H:%M") if cutoff else ""}
    if name == "evaluation":
        weights = r.outcome_weights or {code: 20 for code in OUTCOMES}
        return {"min_outcome_score": r.min_outcome_score, "quality_threshold": r.quality_threshold,
                **{f"weight_{code}": weights.get(code, 0) for code in OUTCOMES},
                "price_method": r.price_method, "quality_weight": r.quality_weight}
    if name == "internal":
        pence = r.budget_ceiling_pence
        return {"case_reference": r.case_reference, "internal_notes": r.internal_notes,
                "home_district": r.home_district or "",
                "budget_ceiling": "" if pence is None else f"{pence / 100:.2f}"}
    return {field: getattr(r, field) for field in SECTIONS[name].fields}


def _plain(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _require_draft(referral: Referral) -> None:
    if referral.status != "draft":
        raise AuthoringError("This referral has been published and cannot be changed")


def save_section(actor: User, referral: Referral, name: str, values: dict) -> bool:
    """Store a section's answers and audit the change; returns whether the section is now complete."""
    _require_draft(referral)
    before = {key: _plain(getattr(referral, key)) for key in values}
    for key, value in values.items():
        setattr(referral, key, value)
    after = {key: _plain(value) for key, value in values.items()}
    record("referral.section_saved", "referral", referral.id, before={"section": name, **before},
           after={"section": name, **after}, actor=actor, organisation_id=referral.council_id)
    db.session.flush()
    return section_complete(referral, name)


def all_needs() -> list[Need]:
    return list(db.session.scalars(select(Need).order_by(Need.position, Need.label)))


def parse_needs(form, needs: list[Need]) -> tuple[dict[str, tuple[str, bool]], list[tuple[str, str]]]:
    """Read the needs rows from the posted form: {code: (severity, essential)} and [(field id, error)]."""
    codes = {need.code for need in needs}
    chosen, errors = {}, []
    for code in form.getlist("need"):
        if code not in codes:
            errors.append(("need", "Select needs from the list"))
            continue
        severity = form.get(f"severity-{code}", "")
        if severity not in SEVERITIES:
            label = next(n.label for n in needs if n.code == code)
            errors.append((f"severity-{code}", f"Select how severe the need '{label}' is"))
            continue
        chosen[code] = (severity, form.get(f"essential-{code}") == "yes")
    return chosen, errors


def save_needs(actor: User, referral: Referral, chosen: dict[str, tuple[str, bool]]) -> bool:
    _require_draft(referral)
    before = {n.need_code: [n.severity, n.essential] for n in referral.needs}
    current = {n.need_code: n for n in referral.needs}
    for code, row in current.items():
        if code not in chosen:
            referral.needs.remove(row)
    for code, (severity, essential) in chosen.items():
        row = current.get(code)
        if row is None:
            referral.needs.append(ReferralNeed(need_code=code, severity=severity, essential=essential))
        else:
            row.severity, row.essential = severity, essential
    record("referral.section_saved", "referral", referral.id, before={"section": "needs", "needs": before},
           after={"section": "needs", "needs": {c: [s, e] for c, (s, e) in chosen.items()}}, actor=actor,
           organisation_id=referral.council_id)
    db.session.flush()
    return section_complete(referral, "needs")
