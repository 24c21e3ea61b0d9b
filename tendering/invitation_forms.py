"""The provider's decline form (DESIGN.md: decline with a reason)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from tendering.invitations import MAX_DECLINE_TEXT
from tendering.models import DECLINE_REASONS


class DeclineForm(FlaskForm):
    reason = RadioField("Why are you declining this referral?", widget=GovRadioInput(),
                        choices=[SelectChoice(k, v) for k, v in DECLINE_REASONS.items()],
                        validators=[InputRequired("Select why you are declining")])
    text = TextAreaField("Tell the council more (required if you chose Other)", widget=GovTextArea(),
                         description="Do not include anything that could identify a child.",
                         validators=[Optional(), Length(max=MAX_DECLINE_TEXT,
                                                        message=f"Reason must be {MAX_DECLINE_TEXT} characters or fewer")])
    submit = SubmitField("Decline referral", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.reason.data == "other" and not (self.text.data or "").strip():
            self.text.errors = [*self.text.errors, "Enter why you are declining"]
            ok = False
        return ok
