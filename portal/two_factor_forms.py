"""Forms for two-factor sign-in, setting it up and turning it off, and unlocking an account."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.two_factor import CODE_FORMAT, normalise_code


def _six_digits(form, field):
    if not field.errors and not (len(normalise_code(field.data)) == 6 and normalise_code(field.data).isdigit()):
        raise ValidationError(CODE_FORMAT)


def _code_field(label: str, hint: str) -> StringField:
    return StringField(label, widget=GovTextInput(), description=hint, validators=[
        InputRequired("Enter the 6-digit code from your authenticator app"), Length(max=20, message=CODE_FORMAT),
        _six_digits])


class CodeForm(FlaskForm):
    code = _code_field("Code from your authenticator app", "The 6-digit code your app shows now, like 123456")
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RecoveryCodeForm(FlaskForm):
    code = StringField("Recovery code", widget=GovTextInput(),
                       description="One of the 10 codes you saved when you set up two-factor, like abcde-23456",
                       validators=[InputRequired("Enter a recovery code"),
                                   Length(max=40, message="Enter a recovery code, like abcde-23456")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetUpForm(FlaskForm):
    code = _code_field("Enter the code your app shows", "After you add Homefinder to your app it shows a 6-digit "
                                                        "code, like 123456")
    submit = SubmitField("Turn on two-factor authentication", widget=GovSubmitInput())


class TurnOffForm(FlaskForm):
    code = _code_field("Code from your authenticator app", "To check it is you, enter the 6-digit code your app "
                                                           "shows now")
    submit = SubmitField("Turn off two-factor authentication", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button and its CSRF token (unlocking an account, abandoning a half-finished sign-in)."""

    submit = SubmitField("Continue", widget=GovSubmitInput())
