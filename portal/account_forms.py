"""Forms for provider registration, the organisation profile and referral preferences.

The forms check formats (Companies House number, postcode, UK phone number, ages); the services in
portal/accounts.py and portal/preferences.py check what needs the database (duplicates).
"""
from __future__ import annotations

import re

import phonenumbers
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (GovCheckboxesInput, GovPasswordInput, GovSubmitInput, GovTextArea,
                                                GovTextInput)
from wtforms import EmailField, PasswordField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, StopValidation, ValidationError

from portal.core.auth import MIN_PASSWORD_LENGTH
from portal.core.passwords import Policy
from portal.forms import WholeNumberField
from portal.geography import INVALID_POSTCODE_MESSAGE, normalise_postcode
from portal.models import LOT_KINDS

COMPANIES_HOUSE_RE = re.compile(r"^(?:\d{8}|[A-Z]{2}\d{6})$")
COMPANIES_HOUSE_FORMAT = "Enter a Companies House number in the correct format, like 01234567 or SC123456"
PHONE_FORMAT = "Enter a UK telephone number, like 020 7946 0000 or 07911 123456"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
MAX_AGE = 25


# --- field cleaners (they normalise field.data in place) ------------------------------------------

def normalise_companies_house(text: str) -> str:
    """Upper case without spaces; raises ValueError unless 8 digits or 2 letters and 6 digits."""
    number = "".join((text or "").split()).upper()
    if not COMPANIES_HOUSE_RE.fullmatch(number):
        raise ValueError(COMPANIES_HOUSE_FORMAT)
    return number


def normalise_uk_phone(text: str) -> str:
    """A valid UK number (+44) in national format, like "020 7946 0000"; raises ValueError otherwise."""
    try:
        number = phonenumbers.parse(text or "", "GB")
    except phonenumbers.NumberParseException:
        raise ValueError(PHONE_FORMAT) from None
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        raise ValueError(PHONE_FORMAT)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _cleaner(fn):
    def validate(form, field):
        if not (field.data or "").strip():
            return  # InputRequired (or the provider-only rule) has already spoken
        try:
            field.data = fn(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    return validate


_companies_house = _cleaner(normalise_companies_house)
_phone = _cleaner(normalise_uk_phone)
_postcode = _cleaner(normalise_postcode)


def _lower(form, field):
    field.data = (field.data or "").strip().lower()


def _stripped(form, field):
    field.data = (field.data or "").strip()


def _present(message: str):
    """Like InputRequired, but only spaces count as blank too."""
    def validate(form, field):
        if not (field.data or "").strip():
            field.errors[:] = []
            raise StopValidation(message)
    return validate


def _required_for_providers(message: str):
    """Required when the organisation is a provider; optional (and blank means none) otherwise."""
    def validate(form, field):
        if (field.data or "").strip():
            return
        field.data = None
        field.errors[:] = []
        if getattr(form, "provider", True):
            raise StopValidation(message)
        raise StopValidation()
    return validate


# --- registration ----------------------------------------------------------------------------------

class RegistrationForm(FlaskForm):
    organisation_name = StringField("Organisation name", widget=GovTextInput(),
                                    validators=[_present("Enter your organisation's name"), _stripped,
                                                Length(max=200, message="Organisation name must be 200 characters "
                                                                        "or fewer")])
    companies_house_number = StringField("Companies House number", widget=GovTextInput(),
                                         description="8 characters, like 01234567, SC123456 or OC123456",
                                         validators=[_present("Enter your Companies House number"),
                                                     Length(max=20, message=COMPANIES_HOUSE_FORMAT), _companies_house])
    address = TextAreaField("Registered address", widget=GovTextArea(),
                            description="Your registered office address, without the postcode",
                            validators=[_present("Enter your registered address"), _stripped,
                                        Length(max=1000, message="Address must be 1,000 characters or fewer")])
    postcode = StringField("Postcode", widget=GovTextInput(),
                           validators=[_present("Enter the postcode of your registered address"),
                                       Length(max=10, message=INVALID_POSTCODE_MESSAGE), _postcode])
    contact_name = StringField("Full name", widget=GovTextInput(),
                               description="You will be the main contact and your organisation's first admin",
                               validators=[_present("Enter your full name"), _stripped,
                                           Length(max=200, message="Full name must be 200 characters or fewer")])
    email = EmailField("Email address", widget=GovTextInput(),
                       description="We will send a link to this address to confirm it",
                       validators=[_present("Enter your email address"), _lower,
                                   Length(max=254, message="Email address must be 254 characters or fewer"),
                                   Email(EMAIL_FORMAT)])
    phone = StringField("Telephone number", widget=GovTextInput(),
                        description="A UK number, like 020 7946 0000 or 07911 123456",
                        validators=[_present("Enter a telephone number"),
                                    Length(max=30, message=PHONE_FORMAT), _phone])
    password = PasswordField("Create a password", widget=GovPasswordInput(),
                             description=f"Use at least {MIN_PASSWORD_LENGTH} characters",
                             validators=[InputRequired("Enter a password"),
                                         Length(min=MIN_PASSWORD_LENGTH, max=200,
                                                message=f"Password must be between {MIN_PASSWORD_LENGTH} and 200 "
                                                        "characters"), Policy("email")])
    confirm = PasswordField("Confirm your password", widget=GovPasswordInput(),
                            validators=[InputRequired("Confirm your password"),
                                        EqualTo("password", "The passwords do not match")])
    submit = SubmitField("Register", widget=GovSubmitInput())


class ResendForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[
        _present("Enter your email address"), Length(max=254), Email(EMAIL_FORMAT)])
    submit = SubmitField("Send me a new link", widget=GovSubmitInput())


# --- organisation profile --------------------------------------------------------------------------

class OrganisationForm(FlaskForm):
    """The profile. For councils and the operator everything but the name is optional, and the
    Companies House number is not shown (the view deletes that field)."""

    name = StringField("Organisation name", widget=GovTextInput(),
                       validators=[_present("Enter the organisation's name"), _stripped,
                                   Length(max=200, message="Organisation name must be 200 characters or fewer")])
    companies_house_number = StringField("Companies House number", widget=GovTextInput(),
                                         description="8 characters, like 01234567, SC123456 or OC123456",
                                         validators=[_required_for_providers("Enter your Companies House number"),
                                                     Length(max=20, message=COMPANIES_HOUSE_FORMAT), _companies_house])
    address = TextAreaField("Address", widget=GovTextArea(), description="Without the postcode",
                            validators=[_required_for_providers("Enter the address"), _stripped,
                                        Length(max=1000, message="Address must be 1,000 characters or fewer")])
    postcode = StringField("Postcode", widget=GovTextInput(),
                           validators=[_required_for_providers("Enter the postcode"),
                                       Length(max=10, message=INVALID_POSTCODE_MESSAGE), _postcode])
    contact_name = StringField("Main contact name", widget=GovTextInput(),
                               validators=[_required_for_providers("Enter the main contact's name"), _stripped,
                                           Length(max=200, message="Name must be 200 characters or fewer")])
    contact_email = EmailField("Main contact email address", widget=GovTextInput(),
                               validators=[_required_for_providers("Enter the main contact's email address"), _lower,
                                           Length(max=254, message="Email address must be 254 characters or fewer"),
                                           Email(EMAIL_FORMAT)])
    contact_phone = StringField("Main contact telephone number", widget=GovTextInput(),
                                description="A UK number, like 020 7946 0000 or 07911 123456",
                                validators=[_required_for_providers("Enter the main contact's telephone number"),
                                            Length(max=30, message=PHONE_FORMAT), _phone])
    submit = SubmitField("Save changes", widget=GovSubmitInput())

    def __init__(self, *args, provider: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        if not provider:
            del self.companies_house_number

    def values(self) -> dict:
        names = ("name", "companies_house_number", "address", "postcode", "contact_name", "contact_email",
                 "contact_phone")
        return {n: (self[n].data or None) for n in names if n in self}


# --- referral preferences --------------------------------------------------------------------------

class PreferencesForm(FlaskForm):
    """Need choices are set by the view from the need table."""

    lots = SelectMultipleField("Kinds of placement", widget=GovCheckboxesInput(),
                               choices=[SelectChoice(k, label) for k, (label, _kinds) in LOT_KINDS.items()],
                               description="Select all the lots you want referrals for",
                               invalid_choice_message="Select kinds of placement from the list",
                               validators=[InputRequired("Select at least one kind of placement")])
    min_age = WholeNumberField("Youngest age", widget=GovTextInput(),
                               not_a_number="Youngest age must be a whole number",
                               validators=[InputRequired("Enter the youngest age you will take")])
    max_age = WholeNumberField("Oldest age", widget=GovTextInput(),
                               not_a_number="Oldest age must be a whole number",
                               validators=[InputRequired("Enter the oldest age you will take")])
    needs = SelectMultipleField("Needs you will take", widget=GovCheckboxesInput(), choices=[],
                                description="Leave all unticked to receive referrals whatever the child's needs",
                                invalid_choice_message="Select needs from the list", validators=[Optional()])
    submit = SubmitField("Save preferences", widget=GovSubmitInput())

    def validate_min_age(self, field):
        if field.data is not None and not 0 <= field.data <= MAX_AGE:
            raise ValidationError(f"Youngest age must be between 0 and {MAX_AGE}")

    def validate_max_age(self, field):
        if field.data is None:
            return
        if not 0 <= field.data <= MAX_AGE:
            raise ValidationError(f"Oldest age must be between 0 and {MAX_AGE}")
        if self.min_age.data is not None and 0 <= self.min_age.data <= MAX_AGE and self.min_age.data > field.data:
            raise ValidationError("Oldest age must be the same as or older than the youngest age")
