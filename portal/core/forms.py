"""Forms for signing in, passwords and inviting users (one form per decision)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from portal.core.auth import MIN_PASSWORD_LENGTH
from portal.core.passwords import Policy


class LoginForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password"), Length(max=200)])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[
        InputRequired("Enter your email address"), Length(max=254),
        Email("Enter an email address in the correct format, like name@example.com")])
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


class SetPasswordForm(FlaskForm):
    """The view sets `account_email`, so the policy can refuse the account's own email address."""

    password = PasswordField("New password", widget=GovPasswordInput(),
                             description=f"Use at least {MIN_PASSWORD_LENGTH} characters",
                             validators=[InputRequired("Enter a new password"),
                                         Length(min=MIN_PASSWORD_LENGTH, max=200,
                                                message=f"Password must be between {MIN_PASSWORD_LENGTH} and 200 "
                                                        "characters"), Policy()])
    confirm = PasswordField("Confirm new password", widget=GovPasswordInput(),
                            validators=[InputRequired("Confirm your new password"),
                                        EqualTo("password", "The passwords do not match")])
    submit = SubmitField("Save password", widget=GovSubmitInput())


class InviteUserForm(FlaskForm):
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[InputRequired("Enter their full name"), Length(max=200)])
    email = EmailField("Email address", widget=GovTextInput(), validators=[
        InputRequired("Enter their email address"), Length(max=254),
        Email("Enter an email address in the correct format, like name@example.com")])
    roles = SelectMultipleField("Roles", widget=GovCheckboxesInput(), choices=[],
                                invalid_choice_message="Select only roles your organisation's users can hold",
                                validators=[InputRequired("Select at least one role")])
    submit = SubmitField("Send invitation", widget=GovSubmitInput())
