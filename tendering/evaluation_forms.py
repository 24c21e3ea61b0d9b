"""Forms for the panel, blind scoring, moderation and the confirmations (one form per decision).

Scoring and moderation forms carry one score (radios, 0–4) and one reason per outcome; their classes are built
per request so each outcome's fields have their own ids for the error summary."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from tendering.evaluation import MAX_REASON, MIN_PANEL
from tendering.models import OUTCOMES, SCORES


class PanelForm(FlaskForm):
    members = SelectMultipleField("Panel members", widget=GovCheckboxesInput(), choices=[], coerce=int,
                                  description=f"Select at least {MIN_PANEL}. Only people in your council with the "
                                              "panel member role are listed.",
                                  invalid_choice_message="Select only panel members from your council",
                                  validators=[InputRequired(f"Select at least {MIN_PANEL} panel members")])
    submit = SubmitField("Save panel", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and len(set(self.members.data or [])) < MIN_PANEL:
            self.members.errors = [f"Select at least {MIN_PANEL} panel members"]
            ok = False
        return ok


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


def _score_field(label: str, required: bool) -> RadioField:
    return RadioField(label, widget=GovRadioInput(), coerce=int,
                      choices=[SelectChoice(value, text) for value, text in SCORES.items()],
                      validators=[InputRequired(f"Select a score for {label.lower()}")] if required else [Optional()])


def _reason_field(label: str, required: bool) -> TextAreaField:
    length = Length(max=MAX_REASON, message=f"The reason must be {MAX_REASON} characters or fewer")
    return TextAreaField(f"Reason for your score for {label.lower()}", widget=GovTextArea(),
                         validators=[InputRequired(f"Enter a reason for the score for {label.lower()}"), length]
                         if required else [Optional(), length])


class _OutcomeScores(FlaskForm):
    required = False

    def values(self) -> dict[str, tuple[int, str]]:
        """{outcome: (score, reason)} for every outcome given a score."""
        return {code: (getattr(self, f"score_{code}").data, getattr(self, f"reason_{code}").data or "")
                for code in OUTCOMES if getattr(self, f"score_{code}").data is not None}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for code, label in OUTCOMES.items():
            score, reason = getattr(self, f"score_{code}"), getattr(self, f"reason_{code}")
            if score.data is not None and not (reason.data or "").strip() and not reason.errors:
                reason.errors = [*reason.errors, f"Enter a reason for the score for {label.lower()}"]
                ok = False
            if score.data is None and (reason.data or "").strip() and not score.errors:
                score.errors = [*score.errors, f"Select a score for {label.lower()}"]
                ok = False
        return ok


def _build(name: str, required: bool, submit_label: str) -> type[FlaskForm]:
    fields = {}
    for code, label in OUTCOMES.items():
        fields[f"score_{code}"] = _score_field(label, required)
        fields[f"reason_{code}"] = _reason_field(label, required)
    fields["submit"] = SubmitField(submit_label, widget=GovSubmitInput())
    return type(name, (_OutcomeScores,), {"required": required, **fields})


ScoreForm = _build("ScoreForm", False, "Save scores")
ModerationForm = _build("ModerationForm", True, "Save moderated scores")


def initial(rows: dict) -> dict:
    """Form data from saved rows: {outcome: row with .score and .reason}."""
    data = {}
    for code, row in rows.items():
        if row is not None:
            data[f"score_{code}"], data[f"reason_{code}"] = row.score, row.reason
    return data
