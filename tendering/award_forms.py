"""Forms after the quality lock: reveal prices, award, the move-in, the ending, spot purchase, re-run and cancel."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from portal.document_forms import parse_pounds
from portal.forms import DateInputField
from tendering.placements import MAX_TEXT

MAX_WEEKLY_PENCE = 100_000_000  # £1,000,000 a week: anything above is a typing mistake


class ConfirmForm(FlaskForm):
    """A button that changes something (reveal prices, re-run): the CSRF token is the whole form."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


class AwardForm(FlaskForm):
    """Choices are the suitable, ranked proposals (set by the view)."""

    proposal = RadioField("Which proposal do you want to award?", widget=GovRadioInput(), choices=[],
                          validators=[InputRequired("Select a suitable proposal to award")], validate_choice=True,
                          invalid_choice_message="Select a suitable proposal to award")
    reason = TextAreaField("Reason for your decision", widget=GovTextArea(),
                           description="Required if you are not awarding the top-ranked proposal. "
                                       "Do not include anything that could identify the child.",
                           validators=[Length(max=MAX_TEXT, message=f"Reason must be {MAX_TEXT} characters or fewer")])
    submit = SubmitField("Award", widget=GovSubmitInput())

    top_id: str | None = None

    def validate_reason(self, field):
        if self.proposal.data and self.proposal.data != self.top_id and not (field.data or "").strip():
            raise ValidationError("Enter why you are not awarding the top-ranked proposal")


class MovedInForm(FlaskForm):
    start_date = DateInputField("Date the child moved in (optional)",
                                description="Only if it differs from the agreed start date. For example, 27 3 2026",
                                invalid="Date the child moved in must be a real date")
    submit = SubmitField("Record that the child has moved in", widget=GovSubmitInput())


class EndedForm(FlaskForm):
    """The child has left the home: when, and whether the ending was planned."""

    end_date = DateInputField("Date the placement ended", description="For example, 27 3 2026",
                              invalid="Date the placement ended must be a real date")
    planned = RadioField("Was the ending planned?", widget=GovRadioInput(),
                         choices=[SelectChoice("yes", "Yes, it was planned (for example, in the care plan)"),
                                  SelectChoice("no", "No, it was unplanned (for example, a breakdown)")],
                         validators=[InputRequired("Select whether the ending was planned")],
                         invalid_choice_message="Select whether the ending was planned")
    submit = SubmitField("Record the end of the placement", widget=GovSubmitInput())

    def validate_end_date(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the placement ended")


class SpotPurchaseForm(FlaskForm):
    """Setting choices ("Provider – Home") are set by the view."""

    setting = SelectField("Provider and home", widget=GovSelect(), choices=[], validate_choice=False)
    weekly_cost = StringField("Weekly cost", widget=GovTextInput(), description="In pounds, like 4,250.00",
                              validators=[Length(max=20, message="Enter the weekly cost in pounds, like 4,250.00")])
    start_date = DateInputField("Start date", description="For example, 27 3 2026",
                                invalid="Start date must be a real date")
    rationale = TextAreaField("Rationale for the spot purchase", widget=GovTextArea(),
                              description="Why this home, at this price, without a competition. It is reported.",
                              validators=[Length(max=MAX_TEXT,
                                                 message=f"Rationale must be {MAX_TEXT} characters or fewer")])
    submit = SubmitField("Record spot purchase", widget=GovSubmitInput())

    weekly_pence: int | None = None

    def validate_setting(self, field):
        if not field.data or field.data not in {c.value for c in field.choices if c.value}:
            raise ValidationError("Select the provider and home")

    def validate_weekly_cost(self, field):
        if not (field.data or "").strip():
            raise ValidationError("Enter the weekly cost")
        pence = parse_pounds(field.data)
        if pence is None:
            raise ValidationError("Enter the weekly cost in pounds, like 4,250.00")
        if pence <= 0:
            raise ValidationError("Weekly cost must be more than £0")
        if pence > MAX_WEEKLY_PENCE:
            raise ValidationError("Weekly cost must be £1,000,000 or less")
        self.weekly_pence = pence

    def validate_start_date(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the start date")

    def validate_rationale(self, field):
        if not (field.data or "").strip():
            raise ValidationError("Enter the rationale for the spot purchase")


class CancelForm(FlaskForm):
    reason = TextAreaField("Why are you cancelling this referral?", widget=GovTextArea(),
                           description="Providers are told it was cancelled, not why. "
                                       "Do not include anything that could identify the child.",
                           validators=[InputRequired("Enter why you are cancelling this referral"),
                                       Length(max=MAX_TEXT, message=f"Reason must be {MAX_TEXT} characters or fewer")])
    submit = SubmitField("Cancel referral", widget=GovSubmitInput())
