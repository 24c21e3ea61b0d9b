"""Forms for monthly returns and for lifting a compliance suspension (one form per decision)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import DecimalField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from portal.forms import WholeNumberField
from quality.compliance import LABELS, MAX_REASON


def _count(label: str, what: str) -> WholeNumberField:
    return WholeNumberField(label, widget=GovTextInput(), not_a_number=f"{what} must be a whole number, like 2",
                            validators=[InputRequired(f"Enter the number of {what.lower()}, or 0 if none"),
                                        NumberRange(min=0, max=100000, message=f"{what} must be 0 or more")])


class AttendanceField(DecimalField):
    """A percentage from 0 to 100 with up to 2 decimal places."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip().rstrip("%").strip()
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.data = None
            raise ValueError("Education attendance must be a number, like 92.5") from None
        if not value.is_finite():
            self.data = None
            raise ValueError("Education attendance must be a number, like 92.5")
        self.data = value


def _two_places(form, field):
    if field.data is not None and field.data.as_tuple().exponent < -2:
        raise ValidationError("Education attendance can have up to 2 decimal places")


class MonthlyReturnForm(FlaskForm):
    incidents = _count("Incidents notified to Ofsted", "Incidents")
    missing_episodes = _count("Missing episodes", "Missing episodes")
    education_attendance_percent = AttendanceField(
        "Education attendance (%)", widget=GovTextInput(), places=2,
        validators=[InputRequired("Enter the education attendance, from 0 to 100"),
                    NumberRange(min=0, max=100, message="Education attendance must be between 0 and 100"),
                    _two_places])
    unplanned_endings = _count("Unplanned endings", "Unplanned endings")
    staff_vacancies = _count("Staff vacancies", "Staff vacancies")
    submit = SubmitField("Send return", widget=GovSubmitInput())

    def values(self) -> dict:
        return {name: self[name].data for name in ("incidents", "missing_episodes", "education_attendance_percent",
                                                   "unplanned_endings", "staff_vacancies")}


class LiftSuspensionForm(FlaskForm):
    reason = TextAreaField("Why are you lifting the suspension?", widget=GovTextArea(), validators=[
        InputRequired("Enter the reason for lifting the suspension"),
        Length(max=MAX_REASON, message=f"The reason must be {MAX_REASON} characters or fewer")])
    submit = SubmitField("Lift suspension", widget=GovSubmitInput())


class StatusFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", widget=GovSelect(), choices=[SelectChoice("", "All statuses"),
                                                                *(SelectChoice(k, v) for k, v in LABELS.items())],
                         validate_choice=False)
