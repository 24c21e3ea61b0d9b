"""Reading the proposal form: raw strings in, clean values and per-field errors out (no database).

The page has a variable set of fields (one answer per essential need, a fixed block of service rows), so it
is parsed here rather than with a WTForms class; CSRF is checked by `ProposalCsrfForm`. Field names are
the element ids the error summary links to.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovSubmitInput
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from tendering.models import OUTCOMES

SERVICE_ROWS = 5
MAX_ANSWER = 5000
MAX_FEE_PENCE = 100_000_000  # £1,000,000 a week: anything above is a typing mistake
MAX_UNIT_PRICE_PENCE = 100_000_000
MAX_QUANTITY = Decimal("99999.99")
MAX_WEEKS = 520
MAX_QUESTION = 2000
MONEY_RE = re.compile(r"^\d+(?:\.\d{1,2})?$")
QUANTITY_RE = re.compile(r"^\d+(?:\.\d{1,2})?$")
SERVICE_FIELDS = ("description", "unit", "price", "quantity", "weeks")


class ProposalCsrfForm(FlaskForm):
    """Only the CSRF token: the proposal fields are read by `parse`."""


class WithdrawForm(FlaskForm):
    submit = SubmitField("Withdraw proposal", widget=GovSubmitInput())


class QuestionForm(FlaskForm):
    question = TextAreaField("Your question", widget=GovCharacterCount(),
                             description="Do not say who you are: every invited provider sees the question and "
                                         "the answer.",
                             validators=[InputRequired("Enter your question"),
                                         Length(max=MAX_QUESTION,
                                                message=f"Question must be {MAX_QUESTION} characters or fewer")])
    submit = SubmitField("Send question", widget=GovSubmitInput())


class AnswerForm(FlaskForm):
    answer = TextAreaField("Answer", widget=GovCharacterCount(),
                           validators=[InputRequired("Enter an answer"),
                                       Length(max=MAX_QUESTION,
                                              message=f"Answer must be {MAX_QUESTION} characters or fewer")])
    submit = SubmitField("Publish answer to all invited providers", widget=GovSubmitInput())


def parse_pounds(text: str | None, what: str = "Weekly core fee", *, allow_zero: bool = False,
                 maximum: int = MAX_FEE_PENCE) -> int | None:
    """'1250.50', '£1,250.5' → pence. Blank → None. Raises ValueError with a message fit to show."""
    text = (text or "").strip().replace(",", "").removeprefix("£").strip()
    if not text:
        return None
    if not MONEY_RE.fullmatch(text):
        if re.fullmatch(r"\d+\.\d{3,}", text):
            raise ValueError(f"{what} must be in pounds and pence, with no more than 2 decimal places")
        raise ValueError(f"{what} must be an amount in pounds, like 1250.50")
    pence = int((Decimal(text) * 100).to_integral_value())
    if pence == 0 and not allow_zero:
        raise ValueError(f"{what} must be more than £0")
    if pence > maximum:
        raise ValueError(f"{what} must be £{maximum // 100:,} or less")
    return pence


def parse_whole(text: str | None, what: str, low: int, high: int) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise ValueError(f"{what} must be a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low} and {high}")
    return value


def parse_date(day: str | None, month: str | None, year: str | None) -> date | None:
    day, month, year = ((v or "").strip() for v in (day, month, year))
    if not (day or month or year):
        return None
    try:
        if not (day and month and year and len(year) == 4):
            raise ValueError
        return datetime.strptime(f"{day} {month} {year}", "%d %m %Y").date()
    except ValueError:
        raise ValueError("Proposed start date must be a real date, like 27 3 2026") from None


def parse_service(n: int, raw: dict) -> tuple[dict | None, dict[str, str]]:
    """One row of additional services: wholly blank (None) or complete and valid."""
    values = {f: (raw.get(f"service-{n}-{f}") or "").strip() for f in SERVICE_FIELDS}
    if not any(values.values()):
        return None, {}
    errors: dict[str, str] = {}
    label = f"Service {n}"
    if not values["description"]:
        errors[f"service-{n}-description"] = f"{label}: enter what the service is"
    elif len(values["description"]) > 200:
        errors[f"service-{n}-description"] = f"{label}: description must be 200 characters or fewer"
    if not values["unit"]:
        errors[f"service-{n}-unit"] = f"{label}: enter the unit, like session or hour"
    elif len(values["unit"]) > 40:
        errors[f"service-{n}-unit"] = f"{label}: unit must be 40 characters or fewer"
    price = quantity = weeks = None
    try:
        price = parse_pounds(values["price"], f"{label}: unit price", allow_zero=True, maximum=MAX_UNIT_PRICE_PENCE)
        if price is None:
            errors[f"service-{n}-price"] = f"{label}: enter the unit price"
    except ValueError as exc:
        errors[f"service-{n}-price"] = str(exc)
    if not values["quantity"]:
        errors[f"service-{n}-quantity"] = f"{label}: enter the quantity per week"
    elif not QUANTITY_RE.fullmatch(values["quantity"]):
        errors[f"service-{n}-quantity"] = f"{label}: quantity per week must be a number, like 2 or 0.5"
    else:
        quantity = Decimal(values["quantity"])
        if not Decimal(0) < quantity <= MAX_QUANTITY:
            errors[f"service-{n}-quantity"] = f"{label}: quantity per week must be more than 0 and at most 99999"
    try:
        weeks = parse_whole(values["weeks"], f"{label}: number of weeks", 1, MAX_WEEKS)
        if weeks is None:
            errors[f"service-{n}-weeks"] = f"{label}: enter for how many weeks"
    except ValueError as exc:
        errors[f"service-{n}-weeks"] = str(exc)
    if errors:
        return None, errors
    return {"description": values["description"], "unit": values["unit"], "unit_price_pence": price,
            "quantity_per_week": str(quantity), "weeks": weeks}, {}


def _text(raw: dict, name: str, label: str, errors: dict) -> str | None:
    value = (raw.get(name) or "").strip()
    if len(value) > MAX_ANSWER:
        errors[name] = f"{label} must be {MAX_ANSWER} characters or fewer"
    return value or None


def parse(raw, essential_codes: list[str]) -> tuple[dict, dict[str, str]]:
    """The whole page. Returns (data, errors); data holds every value that was valid (for redisplay too)."""
    errors: dict[str, str] = {}
    data: dict = {"setting_id": None, "outcome_answers": {}, "need_answers": {}}
    setting = (raw.get("setting") or "").strip()
    if setting:
        if re.fullmatch(r"\d{1,12}", setting):
            data["setting_id"] = int(setting)
        else:
            errors["setting"] = "Select one of your homes"
    for code, label in OUTCOMES.items():
        value = _text(raw, f"outcome-{code}", f"Your answer for {label.lower()}", errors)
        if value:
            data["outcome_answers"][code] = value
    for code in essential_codes:
        value = _text(raw, f"need-{code}", "Your answer for this need", errors)
        if value:
            data["need_answers"][code] = value
    data["staffing"] = _text(raw, "staffing", "Staffing", errors)
    data["education_offer"] = _text(raw, "education_offer", "Education offer", errors)
    try:
        data["start_date"] = parse_date(raw.get("start_date-day"), raw.get("start_date-month"),
                                        raw.get("start_date-year"))
    except ValueError as exc:
        data["start_date"], errors["start_date"] = None, str(exc)
    try:
        data["weekly_core_fee_pence"] = parse_pounds(raw.get("core_fee"))
    except ValueError as exc:
        data["weekly_core_fee_pence"], errors["core_fee"] = None, str(exc)
    try:
        data["notice_period_weeks"] = parse_whole(raw.get("notice_period"), "Notice period", 0, 52)
    except ValueError as exc:
        data["notice_period_weeks"], errors["notice_period"] = None, str(exc)
    data["services"] = []
    for n in range(1, SERVICE_ROWS + 1):
        row, row_errors = parse_service(n, raw)
        errors.update(row_errors)
        if row is not None:
            data["services"].append(row)
    return data, errors
