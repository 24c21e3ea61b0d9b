"""The DPS selection questionnaire: its sections, what makes each complete, how answers are shown.

Each section's answers are saved in DpsApplication.questionnaire[section]; a section is complete when
section_errors() finds nothing. The forms (portal/admission_forms.py) only check formats and lengths,
so a half-finished section can be saved as a draft.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from portal.geography import normalise_postcode
from portal.models import DOCUMENT_KINDS, INSURANCE_KINDS


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[tuple[str, str], ...]  # (answer key, label)


SECTIONS: dict[str, Section] = {
    "organisation": Section("Organisation details", (
        ("legal_name", "Legal name of the organisation"), ("companies_house_number", "Companies House number"),
        ("address", "Registered address"), ("postcode", "Postcode"), ("contact_name", "Contact name"),
        ("contact_email", "Contact email address"), ("contact_phone", "Contact telephone number"))),
    "financial": Section("Financial standing", (
        ("turnover_band", "Annual turnover"), ("accounts_up_to_date", "Accounts filed and up to date"),
        ("statement", "Financial standing statement"))),
    "insurance": Section("Insurance", (("covers", "Insurance cover held"),)),
    "safeguarding": Section("Safeguarding", (
        ("lead_name", "Named safeguarding lead"), ("dbs_policy", "Enhanced DBS checks policy"),
        ("statement", "Safeguarding statement"))),
    "exclusions": Section("Exclusion grounds", (
        ("mandatory", "Mandatory exclusion grounds apply"), ("mandatory_explanation", "Mandatory grounds: explanation"),
        ("discretionary", "Discretionary exclusion grounds apply"),
        ("discretionary_explanation", "Discretionary grounds: explanation"))),
}
TURNOVER_BANDS = {"under_1m": "Under £1 million", "1m_to_5m": "£1 million to £5 million",
                  "5m_to_25m": "£5 million to £25 million", "over_25m": "Over £25 million"}
YES_NO = {"yes": "Yes", "no": "No"}
COVERS = {kind: DOCUMENT_KINDS[kind].replace(" insurance", "") for kind in INSURANCE_KINDS}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()-]{10,20}$")
CH_RE = re.compile(r"^(?:\d{8}|[A-Z]{2}\d{6})$")
MAX_TEXT = 2000


def _text(answers: dict, key: str) -> str:
    value = answers.get(key)
    return value.strip() if isinstance(value, str) else ""


def section_errors(section: str, answers: dict | None) -> dict[str, str]:
    """What is missing or wrong in one section's answers ({} means the section is complete)."""
    a = answers or {}
    errors: dict[str, str] = {}

    def need(key: str, message: str) -> None:
        if not _text(a, key):
            errors[key] = message
        elif len(_text(a, key)) > MAX_TEXT:
            errors[key] = f"{dict(SECTIONS[section].fields)[key]} must be {MAX_TEXT} characters or fewer"

    def choice(key: str, options: dict, message: str) -> None:
        if a.get(key) not in options:
            errors[key] = message

    if section == "organisation":
        need("legal_name", "Enter the legal name of the organisation")
        if _text(a, "companies_house_number") and not CH_RE.fullmatch(_text(a, "companies_house_number")):
            errors["companies_house_number"] = "Enter a Companies House number in the correct format, like 01234567"
        need("address", "Enter the registered address")
        try:
            normalise_postcode(_text(a, "postcode"))
        except ValueError:
            errors["postcode"] = "Enter a real postcode, like SE6 4RU"
        need("contact_name", "Enter the name of the contact")
        if not EMAIL_RE.fullmatch(_text(a, "contact_email")):
            errors["contact_email"] = "Enter an email address in the correct format, like name@example.com"
        if not PHONE_RE.fullmatch(_text(a, "contact_phone")):
            errors["contact_phone"] = "Enter a telephone number, like 020 7946 0000"
    elif section == "financial":
        choice("turnover_band", TURNOVER_BANDS, "Select your annual turnover")
        choice("accounts_up_to_date", YES_NO, "Select yes if your accounts are filed and up to date")
        need("statement", "Enter a short statement about your financial standing")
    elif section == "insurance":
        held = a.get("covers") if isinstance(a.get("covers"), list) else []
        missing = [COVERS[k] for k in INSURANCE_KINDS if k not in held]
        if missing:
            errors["covers"] = f"Confirm that you hold {' and '.join(missing).lower()} insurance"
    elif section == "safeguarding":
        need("lead_name", "Enter the name of your safeguarding lead")
        choice("dbs_policy", YES_NO, "Select yes if you have a policy of enhanced DBS checks for all staff")
        need("statement", "Enter a short statement about how you keep children safe")
    elif section == "exclusions":
        for key, label in (("mandatory", "mandatory"), ("discretionary", "discretionary")):
            choice(key, YES_NO, f"Select yes if any {label} exclusion grounds apply")
            if a.get(key) == "yes":
                need(f"{key}_explanation", f"Explain the {label} exclusion grounds that apply and what you have done")
    else:
        raise KeyError(section)
    return errors


def show_answer(section: str, key: str, value) -> str:
    """An answer as the summary list shows it."""
    if key == "covers":
        return ", ".join(COVERS[k] for k in INSURANCE_KINDS if k in (value or [])) or "None confirmed"
    if key == "turnover_band":
        return TURNOVER_BANDS.get(value, "Not answered")
    if key in ("accounts_up_to_date", "dbs_policy", "mandatory", "discretionary"):
        return YES_NO.get(value, "Not answered")
    return value.strip() if isinstance(value, str) and value.strip() else "Not answered"
