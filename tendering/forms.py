"""Forms for writing a referral, one per task-list section, plus starting and publishing one.

The section forms check formats and ranges only, so that a half-written section can be saved; whether a
section is complete is the rule in tendering.authoring.section_complete.
"""
from __future__ import annotations

import re
from datetime import datetime, time

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import DateInputField, WholeNumberField
from portal.geography import is_district, known_districts
from tendering.models import DURATIONS, EDUCATION_STATUSES, LEGAL_STATUSES, OUTCOMES, PRICE_METHODS, SEXES

MAX_TEXT = 2000
_TEXT = Length(max=MAX_TEXT, message=f"Answers must be {MAX_TEXT} characters or fewer")
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)
YES_NO = {"yes": "Yes", "no": "No"}


def _choices(options: dict) -> list[SelectChoice]:
    return [SelectChoice(k, v) for k, v in options.items()]


def parse_time(text: str) -> time | None:
    """'17:00', '5pm', '5:30pm', '9.15' → a time; None when it is not a real time."""
    match = _TIME_RE.fullmatch((text or "").strip())
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match.group(2) is None:
        return None  # "17" alone is ambiguous
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_districts(text: str) -> tuple[list[str], list[str]]:
    """Comma or newline separated districts → (normalised districts, the entries that are not districts)."""
    good, bad = [], []
    for part in re.split(r"[,\n]", text or ""):
        part = part.strip().upper()
        if not part:
            continue
        if is_district(part) and part in known_districts():
            if part not in good:
                good.append(part)
        else:
            bad.append(part)
    return good, bad


class SectionForm(FlaskForm):
    save = SubmitField("Save and continue", widget=GovSubmitInput())

    def values(self) -> dict:
        """The referral attributes this section sets (strings stripped, blanks as None)."""
        out = {}
        for field in self:
            if field.name in ("csrf_token", "save"):
                continue
            value = field.data
            out[field.name] = (value.strip() or None) if isinstance(value, str) else value
        return out


class ChildForm(SectionForm):
    age = WholeNumberField("Age in years", widget=GovTextInput(), not_a_number="Age must be a whole number",
                           validators=[Optional(), NumberRange(0, 25, "Age must be between 0 and 25")])
    sex = RadioField("Sex", widget=GovRadioInput(), choices=_choices(SEXES), validators=[Optional()])
    legal_status = RadioField("Legal status", widget=GovRadioInput(), choices=_choices(LEGAL_STATUSES),
                              validators=[Optional()])
    group_size = WholeNumberField("How many children need to live together?", widget=GovTextInput(),
                                  description="Enter 1 for a child on their own, or the size of the sibling group",
                                  not_a_number="Number of children must be a whole number", default=1,
                                  validators=[InputRequired("Enter how many children need to live together"),
                                              NumberRange(1, 8, "Number of children must be between 1 and 8")])


class IdentityForm(SectionForm):
    cultural_needs = TextAreaField("Cultural needs", widget=GovTextArea(), validators=[_TEXT],
                                   description="For example, food, heritage or community. Write 'None' if there "
                                               "are none")
    religious_needs = TextAreaField("Religious needs", widget=GovTextArea(), validators=[_TEXT],
                                    description="Write 'None' if there are none")
    language_needs = TextAreaField("Language needs", widget=GovTextArea(), validators=[_TEXT],
                                   description="First language and any interpreter needs. Write 'None' if there "
                                               "are none")


class EducationForm(SectionForm):
    education_status = RadioField("Education", widget=GovRadioInput(), choices=_choices(EDUCATION_STATUSES),
                                  validators=[Optional()])
    education_notes = TextAreaField("Education notes", widget=GovTextArea(), validators=[_TEXT],
                                    description="Describe the type of school or support, not its name")


OutcomesForm = type("OutcomesForm", (SectionForm,), {
    f"outcome_{code}": TextAreaField(label, widget=GovTextArea(), validators=[_TEXT],
                                     description="The outcomes you want for the child")
    for code, label in OUTCOMES.items()})


class VoiceForm(SectionForm):
    what_matters = TextAreaField("What matters to me", widget=GovTextArea(), validators=[_TEXT],
                                 description="In the child's own words. This is shown to providers, so do not "
                                             "include names, places or dates")


class LocationForm(SectionForm):
    preferred_district = StringField("Preferred postcode district", widget=GovTextInput(),
                                     description="The first part of a postcode only, like SE6",
                                     validators=[Length(max=10, message="Enter a postcode district, like SE6")])
    max_distance_miles = WholeNumberField("Maximum distance in miles", widget=GovTextInput(),
                                          not_a_number="Maximum distance must be a whole number of miles",
                                          validators=[Optional(), NumberRange(1, 500, "Maximum distance must be "
                                                                                      "between 1 and 500 miles")])
    avoid_districts = TextAreaField("Postcode districts to avoid", widget=GovTextArea(),
                                    description="For example, where there is a risk of exploitation. Separate "
                                                "districts with commas or new lines",
                                    validators=[Length(max=500, message="Districts to avoid must be 500 "
                                                                        "characters or fewer")])

    def validate_preferred_district(self, field):
        value = (field.data or "").strip().upper()
        field.data = value
        if value and not is_district(value):
            raise ValidationError("Enter a postcode district, like SE6 – not a full postcode")
        if value and value not in known_districts():
            raise ValidationError(f"We do not recognise the postcode district {value}")

    def validate_avoid_districts(self, field):
        good, bad = parse_districts(field.data)
        if bad:
            raise ValidationError(f"We do not recognise these postcode districts to avoid: {', '.join(bad)}")
        field.data = good

    def values(self) -> dict:
        out = super().values()
        out["avoid_districts"] = list(self.avoid_districts.data or [])
        return out


def _deadline_parts(label: str):
    return (DateInputField(f"{label} date", description="For example, 27 3 2026",
                           invalid=f"{label} date must be a real date"),
            StringField(f"{label} time", widget=GovTextInput(), description="UK time, for example 17:00 or 5pm",
                        validators=[Length(max=10, message=f"Enter a real {label.lower()} time, like 17:00")]))


class TimingForm(SectionForm):
    emergency = RadioField("Is this an emergency?", widget=GovRadioInput(), choices=_choices(YES_NO),
                           validators=[Optional()])
    start_date = DateInputField("Start date", description="If not an emergency. For example, 27 3 2026",
                                invalid="Start date must be a real date")
    expected_duration = RadioField("Expected duration", widget=GovRadioInput(), choices=_choices(DURATIONS),
                                   validators=[Optional()])
    deadline_date, deadline_time = _deadline_parts("Response deadline")
    cutoff_date, cutoff_time = _deadline_parts("Clarification questions cut-off")

    def _moment(self, date_field, time_field) -> datetime | None:
        if date_field.data is None and not (time_field.data or "").strip():
            return None
        if date_field.data is None:
            date_field.errors = [*date_field.errors, f"Enter the {date_field.label.text.lower()}"]
            return None
        parsed = parse_time(time_field.data)
        if parsed is None:
            time_field.errors = [*time_field.errors, f"Enter a real {time_field.label.text.lower()}, like 17:00"]
            return None
        from tendering.authoring import from_london

        return from_london(datetime.combine(date_field.data, parsed))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.deadline = self._moment(self.deadline_date, self.deadline_time)
        self.cutoff = self._moment(self.cutoff_date, self.cutoff_time)
        from portal.core.db import utcnow

        if self.deadline is not None and self.deadline <= utcnow():
            self.deadline_date.errors = [*self.deadline_date.errors, "The response deadline must be in the future"]
        if self.cutoff is not None and self.deadline is not None and self.cutoff >= self.deadline:
            self.cutoff_date.errors = [*self.cutoff_date.errors, "The clarification cut-off must be before the "
                                                                 "response deadline"]
        return ok and not self.errors

    def values(self) -> dict:
        return {"emergency": self.emergency.data == "yes" if self.emergency.data else False,
                "start_date": self.start_date.data, "expected_duration": self.expected_duration.data or None,
                "response_deadline": self.deadline, "clarification_cutoff": self.cutoff}


def _weight(label: str) -> WholeNumberField:
    return WholeNumberField(label, widget=GovTextInput(), not_a_number=f"{label} weight must be a whole number",
                            validators=[InputRequired(f"Enter a weight for {label}"),
                                        NumberRange(0, 100, f"{label} weight must be between 0 and 100")])


EvaluationForm = type("EvaluationForm", (SectionForm,), {
    "min_outcome_score": WholeNumberField(
        "Minimum score for every outcome", widget=GovTextInput(), default=2,
        description="0 unacceptable, 1 poor, 2 acceptable, 3 good, 4 excellent",
        not_a_number="Minimum score must be a whole number",
        validators=[InputRequired("Enter the minimum score"), NumberRange(0, 4, "Minimum score must be 0 to 4")]),
    "quality_threshold": WholeNumberField(
        "Quality threshold (%)", widget=GovTextInput(), default=60, not_a_number="Quality threshold must be a "
                                                                                 "whole number",
        validators=[InputRequired("Enter the quality threshold"),
                    NumberRange(0, 100, "Quality threshold must be between 0 and 100")]),
    **{f"weight_{code}": _weight(label) for code, label in OUTCOMES.items()},
    "price_method": RadioField("How is price taken into account?", widget=GovRadioInput(),
                               choices=_choices(PRICE_METHODS), default="quality_price",
                               validators=[InputRequired("Select how price is taken into account")]),
    "quality_weight": WholeNumberField(
        "Quality weight (%)", widget=GovTextInput(), default=70,
        description="For quality and price weighting. Price gets the rest",
        not_a_number="Quality weight must be a whole number",
        validators=[InputRequired("Enter the quality weight"),
                    NumberRange(0, 100, "Quality weight must be between 0 and 100")]),
})


def _evaluation_validate(self, extra_validators=None) -> bool:
    ok = SectionForm.validate(self, extra_validators)
    weights = [self[f"weight_{code}"].data for code in OUTCOMES]
    if ok and sum(weights) != 100:
        self["weight_be_healthy"].errors = [f"Outcome weights must add up to 100 (they add up to {sum(weights)})"]
        return False
    return ok


def _evaluation_values(self) -> dict:
    return {"min_outcome_score": self.min_outcome_score.data, "quality_threshold": self.quality_threshold.data,
            "outcome_weights": {code: self[f"weight_{code}"].data for code in OUTCOMES},
            "price_method": self.price_method.data, "quality_weight": self.quality_weight.data}


EvaluationForm.validate = _evaluation_validate
EvaluationForm.values = _evaluation_values


class InternalForm(SectionForm):
    case_reference = StringField("Case reference", widget=GovTextInput(),
                                 validators=[Length(max=40, message="Case reference must be 40 characters or fewer")])
    budget_ceiling = StringField("Budget ceiling per week", widget=GovTextInput(),
                                 description="In pounds, for example 4500 or 4,500.50",
                                 validators=[Length(max=20, message="Enter the budget in pounds, like 4500")])
    home_district = StringField("Child's home postcode district", widget=GovTextInput(),
                                description="The first part of the postcode only, like SE6. Used to record how far "
                                            "from home the child lives",
                                validators=[Length(max=10, message="Enter a postcode district, like SE6")])
    internal_notes = TextAreaField("Internal notes", widget=GovTextArea(), validators=[_TEXT])

    def validate_home_district(self, field):
        value = (field.data or "").strip().upper()
        field.data = value
        if value and not is_district(value):
            raise ValidationError("Enter the home postcode district, like SE6 – not a full postcode")
        if value and value not in known_districts():
            raise ValidationError(f"We do not recognise the postcode district {value}")

    def validate_budget_ceiling(self, field):
        text = (field.data or "").strip().replace(",", "").lstrip("£")
        if not text:
            field.pence = None
            return
        if not re.fullmatch(r"\d{1,9}(\.\d{1,2})?", text) or float(text) <= 0:
            raise ValidationError("Enter the budget ceiling in pounds, like 4500 or 4,500.50")
        pounds, _, pence = text.partition(".")
        field.pence = int(pounds) * 100 + int((pence + "00")[:2])

    def values(self) -> dict:
        return {"case_reference": (self.case_reference.data or "").strip() or None,
                "budget_ceiling_pence": getattr(self.budget_ceiling, "pence", None),
                "home_district": self.home_district.data or None,
                "internal_notes": (self.internal_notes.data or "").strip() or None}


class NeedsForm(FlaskForm):
    """CSRF only: the needs rows (a checkbox, severity and essential flag per need) are parsed by the view."""

    save = SubmitField("Save and continue", widget=GovSubmitInput())


class NewReferralForm(FlaskForm):
    lot = RadioField("Which lot is this referral for?", widget=GovRadioInput(), choices=[], coerce=int,
                     validators=[InputRequired("Select the lot this referral is for")])
    submit = SubmitField("Start referral", widget=GovSubmitInput())


class PublishForm(FlaskForm):
    submit = SubmitField("Publish referral", widget=GovSubmitInput())


SECTION_FORMS = {"child": ChildForm, "identity": IdentityForm, "education": EducationForm, "outcomes": OutcomesForm,
                 "voice": VoiceForm, "location": LocationForm, "timing": TimingForm, "evaluation": EvaluationForm,
                 "internal": InternalForm}
