"""Forms for feedback: the officer's "ask for feedback" form, the respondent's form (built per respondent
type from quality.themes) and moderation. The services in quality/feedback.py re-check every rule."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import EmailField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length

from quality import themes
from quality.feedback import MAX_COMMENT
from quality.models import RESPONDENT_TYPES


class SendRequestForm(FlaskForm):
    respondent_type = RadioField("Who are you asking?", widget=GovRadioInput(),
                                 choices=[SelectChoice(k, v) for k, v in RESPONDENT_TYPES.items()],
                                 validators=[InputRequired("Select who you are asking")], validate_choice=True,
                                 invalid_choice_message="Select who you are asking")
    email = EmailField("Their email address", widget=GovTextInput(),
                       description="We send them a link that works once, for 28 days. They do not need an account.",
                       validators=[InputRequired("Enter their email address"), Length(max=254),
                                   Email("Enter an email address in the correct format, like name@example.com")])
    submit = SubmitField("Send feedback link", widget=GovSubmitInput())


def response_form(respondent_type: str, formdata=None) -> FlaskForm:
    """A form with one 1–5 radio fieldset per theme, worded for this respondent, and an optional comment."""
    statements = themes.statements(respondent_type)
    scale = themes.scale(respondent_type)
    words = themes.page(respondent_type)
    child = respondent_type == "child"

    class ResponseForm(FlaskForm):
        pass

    for code, statement in statements.items():
        message = f"Choose an answer for \u2018{statement}\u2019"
        setattr(ResponseForm, f"theme_{code}", RadioField(
            statement, widget=GovRadioInput(), coerce=int,
            choices=[SelectChoice(value, label) for value, label in scale.items()],
            validators=[InputRequired(message)], validate_choice=True, invalid_choice_message=message))
    ResponseForm.comment = TextAreaField(words["comment"], widget=GovTextArea(), description=words["comment_hint"],
                                         validators=[Length(max=MAX_COMMENT, message=(
                                             f"Your message must be {MAX_COMMENT} characters or fewer" if child else
                                             f"Comment must be {MAX_COMMENT} characters or fewer"))])
    ResponseForm.submit = SubmitField(words["submit"], widget=GovSubmitInput())
    form = ResponseForm(formdata=formdata) if formdata is not None else ResponseForm()
    form.theme_fields = [form[f"theme_{code}"] for code in statements]
    return form


def scores_from(form) -> dict[str, int]:
    return {name[len("theme_"):]: form[name].data for name in form._fields if name.startswith("theme_")}


MODERATION_CHOICES = {"approved": "Approve the comment as written", "redacted": "Redact the comment (edit it below)",
                      "rejected": "Reject the comment (nobody else will see it)"}


class ModerateForm(FlaskForm):
    decision = RadioField("What do you want to do with this comment?", widget=GovRadioInput(),
                          choices=[SelectChoice(k, v) for k, v in MODERATION_CHOICES.items()],
                          validators=[InputRequired("Select what to do with the comment")], validate_choice=True,
                          invalid_choice_message="Select what to do with the comment")
    redacted = TextAreaField("Redacted comment", widget=GovTextArea(),
                             description="Only if you are redacting: remove anything that could identify someone",
                             validators=[Length(max=MAX_COMMENT,
                                                message=f"Redacted comment must be {MAX_COMMENT} characters or fewer")])
    submit = SubmitField("Save decision", widget=GovSubmitInput())
