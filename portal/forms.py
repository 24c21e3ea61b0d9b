"""Forms for settings (homes) and vacancies, one form per decision.

The forms check what can be checked without the database (formats, ranges, dates); the services in
portal/services.py check the rest (a URN already taken, a vacancy changed by someone else).
"""
from __future__ import annotations

import re
from datetime import date, datetime

from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from govuk_frontend_wtf.wtforms_widgets import (GovCharacterCount, GovCheckboxesInput, GovDateInput, GovRadioInput,
                                                GovSubmitInput, GovTextInput)
from wtforms import Field, Form, HiddenField, IntegerField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.geography import district_of, known_districts, normalise_postcode
from portal.models import RATINGS, REGISTRATION_STATUSES, SETTING_KINDS

URN_RE = re.compile(r"^(?:SC\d{6}|\d{7})$")
NOT_INSPECTED = "not_inspected"
SEXES = (("male", "Male"), ("female", "Female"))
MAX_PLACES = 200
MAX_AGE = 25


class WholeNumberField(IntegerField):
    """An integer with a GOV.UK-style message when the text is not a whole number."""

    def __init__(self, label=None, validators=None, not_a_number: str = "Enter a whole number", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.not_a_number = not_a_number

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(self.not_a_number) from None


class DateInputField(Field):
    """Day, month and year boxes (GOV.UK date input). All three blank means no date."""

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, invalid: str = "Enter a real date", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:  # not posted at all: keep the stored date
            self.raw_data = None
            return
        day, month, year = ([v.strip() for v in valuelist] + ["", "", ""])[:3]
        self.raw_data = [day, month, year]
        if not (day or month or year):
            self.data = None
            return
        try:
            if not (day and month and year and len(year) == 4):
                raise ValueError
            self.data = datetime.strptime(f"{day} {month} {year}", "%d %m %Y").date()
        except ValueError:
            self.data = None
            raise ValueError(self.invalid) from None


def _urn(form, field):
    field.data = (field.data or "").strip().upper().replace(" ", "")
    if not URN_RE.fullmatch(field.data):
        raise ValidationError("Enter a URN in the correct format, like SC123456 or 1234567")


def _postcode(form, field):
    try:
        field.data = normalise_postcode(field.data or "")
    except ValueError:
        raise ValidationError("Enter a real postcode, like SE6 4RU") from None
    district = district_of(field.data)
    if district not in known_districts():
        raise ValidationError(f"We do not recognise the postcode district {district}. Check the postcode")


class SettingForm(FlaskForm):
    """Create or edit a home. Specialism choices are set by the view from the need table."""

    name = StringField("Name of the home or service", widget=GovTextInput(),
                       validators=[InputRequired("Enter the name of the home or service"),
                                   Length(max=200, message="Name must be 200 characters or fewer")])
    urn = StringField("Ofsted URN", widget=GovTextInput(),
                      description="Unique reference number, like SC123456 or 1234567",
                      validators=[InputRequired("Enter the Ofsted URN"), _urn])
    kind = RadioField("Kind of home or service", widget=GovRadioInput(),
                      choices=[SelectChoice(k, v) for k, v in SETTING_KINDS.items()],
                      validators=[InputRequired("Select the kind of home or service")],
                      validate_choice=True)
    registration_status = RadioField("Ofsted registration status", widget=GovRadioInput(),
                                     choices=[SelectChoice(s, s.capitalize()) for s in REGISTRATION_STATUSES],
                                     default="active",
                                     validators=[InputRequired("Select the registration status")])
    overall_effectiveness = RadioField("Latest overall effectiveness", widget=GovRadioInput(),
                                       choices=[SelectChoice(r, r) for r in RATINGS]
                                       + [SelectChoice(NOT_INSPECTED, "Not yet inspected")],
                                       validators=[InputRequired("Select the latest overall effectiveness, "
                                                                 "or 'Not yet inspected'")])
    inspection_date = DateInputField("Date of the latest inspection",
                                     description="For example, 27 3 2025. Leave blank if not yet inspected",
                                     invalid="Inspection date must be a real date")
    registered_places = WholeNumberField("Registered places", widget=GovTextInput(),
                                         not_a_number="Registered places must be a whole number",
                                         validators=[InputRequired("Enter the number of registered places"),
                                                     NumberRange(0, MAX_PLACES, "Registered places must be between "
                                                                                f"0 and {MAX_PLACES}")])
    min_age = WholeNumberField("Youngest age accepted", widget=GovTextInput(),
                               not_a_number="Youngest age must be a whole number",
                               validators=[InputRequired("Enter the youngest age accepted"),
                                           NumberRange(0, MAX_AGE, f"Youngest age must be between 0 and {MAX_AGE}")])
    max_age = WholeNumberField("Oldest age accepted", widget=GovTextInput(),
                               not_a_number="Oldest age must be a whole number",
                               validators=[InputRequired("Enter the oldest age accepted"),
                                           NumberRange(0, MAX_AGE, f"Oldest age must be between 0 and {MAX_AGE}")])
    sexes = SelectMultipleField("Sexes accepted", widget=GovCheckboxesInput(),
                                choices=[SelectChoice(v, label) for v, label in SEXES],
                                description="Select all that apply",
                                invalid_choice_message="Select male, female or both",
                                validators=[InputRequired("Select at least one sex the home accepts")])
    needs = SelectMultipleField("Specialisms", widget=GovCheckboxesInput(), choices=[],
                                description="Select all the needs this home specialises in",
                                invalid_choice_message="Select specialisms from the list",
                                validators=[Optional()])
    postcode = StringField("Postcode", widget=GovTextInput(),
                           description="Only the postcode district (like SE6) is shown outside your organisation",
                           validators=[InputRequired("Enter the postcode"), _postcode])
    submit = SubmitField("Save home", widget=GovSubmitInput())

    def validate_max_age(self, field):
        if self.min_age.data is not None and field.data is not None and self.min_age.data > field.data:
            raise ValidationError("Oldest age must be the same as or older than the youngest age")

    def validate_inspection_date(self, field):
        rated = self.overall_effectiveness.data not in (None, "", NOT_INSPECTED)
        if rated and field.data is None and not field.errors:
            raise ValidationError("Enter the date of the latest inspection")
        if not rated and field.data is not None:
            raise ValidationError("Remove the inspection date, or select the latest overall effectiveness")
        if field.data is not None and field.data > date.today():
            raise ValidationError("Inspection date must be today or in the past")

    def values(self) -> dict:
        """The cleaned values, as the services take them."""
        rating = self.overall_effectiveness.data
        return dict(
            name=self.name.data.strip(), urn=self.urn.data, kind=self.kind.data,
            registration_status=self.registration_status.data,
            overall_effectiveness=None if rating == NOT_INSPECTED else rating,
            inspection_date=self.inspection_date.data, registered_places=self.registered_places.data,
            min_age=self.min_age.data, max_age=self.max_age.data,
            accepts_male="male" in self.sexes.data, accepts_female="female" in self.sexes.data,
            needs=list(self.needs.data or []), postcode=self.postcode.data,
        )


class CloseSettingForm(FlaskForm):
    submit = SubmitField("Close this home", widget=GovSubmitInput())


class _VacancyFields:
    """The fields of a vacancy, shared by the one-home form and each row of the bulk form."""

    places_free = WholeNumberField("Places free", widget=GovTextInput(),
                                   not_a_number="Places free must be a whole number")
    free_from = DateInputField("Free from", description="For example, 27 3 2026. Leave blank if free now",
                               invalid="Free from must be a real date")
    note = StringField("Note", widget=GovCharacterCount(),
                       validators=[Length(max=500, message="Note must be 500 characters or fewer")])
    version = HiddenField()

    max_places: int = MAX_PLACES
    required: bool = True

    def validate_places_free(self, field):
        if field.data is None:
            if self.required or self.free_from.data or (self.note.data or "").strip():
                raise ValidationError("Enter the number of places free")
            return
        if not 0 <= field.data <= self.max_places:
            raise ValidationError(f"Places free must be between 0 and {self.max_places}")

    def expected_version(self) -> int | None:
        return int(self.version.data) if (self.version.data or "").isdigit() else None

    def is_blank(self) -> bool:
        return self.places_free.data is None


class VacancyForm(_VacancyFields, FlaskForm):
    submit = SubmitField("Save vacancy", widget=GovSubmitInput())

    def __init__(self, *args, max_places: int = MAX_PLACES, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_places = max_places


class ConfirmVacancyForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField("No change — confirm", widget=GovSubmitInput())


class VacancyRowForm(_VacancyFields, Form):
    """One row (one home) of the bulk vacancies page. A home with no vacancy yet may be left blank."""

    note = StringField("Note", widget=GovTextInput(),
                       validators=[Length(max=500, message="Note must be 500 characters or fewer")])

    def __init__(self, *args, max_places: int = MAX_PLACES, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_places = max_places
        self.required = required


class BulkVacanciesForm(FlaskForm):
    """Every open home of the provider, one row each, saved in one transaction.

    The rows' errors are added to this form's errors under each field's id and prefixed with the
    home's name, so the page's error summary says which row is wrong and links to it.
    """

    submit = SubmitField("Save all vacancies", widget=GovSubmitInput())

    def __init__(self, settings, *args, **kwargs):
        super().__init__(*args, **kwargs)
        formdata = self.meta.wrap_formdata(self, kwargs.get("formdata", _Auto))
        self.rows: list[tuple] = []
        for setting in settings:
            v = setting.vacancy
            data = dict(places_free=v.places_free, free_from=v.free_from, note=v.note or "",
                        version=str(v.version)) if v else {}
            row = VacancyRowForm(formdata, prefix=f"s{setting.id}-", data=data,
                                 max_places=setting.registered_places, required=v is not None)
            self.rows.append((setting, row))

    def refresh_row(self, setting) -> VacancyRowForm:
        """Replace one row's input with what is stored now (after someone else changed it)."""
        for index, (s, _row) in enumerate(self.rows):
            if s.id == setting.id:
                v = setting.vacancy
                data = dict(places_free=v.places_free, free_from=v.free_from, note=v.note or "",
                            version=str(v.version)) if v else {}
                row = VacancyRowForm(None, prefix=f"s{setting.id}-", data=data,
                                     max_places=setting.registered_places, required=v is not None)
                self.rows[index] = (setting, row)
                return row
        raise KeyError(setting.id)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        rows_ok = [row.validate() for _s, row in self.rows]
        return ok and all(rows_ok)

    @property
    def errors(self):
        errors = dict(super().errors)
        for setting, row in self.rows:
            for name, messages in row.errors.items():
                if name is None or not messages:
                    continue
                field = row[name]
                anchor = f"{field.id}-day" if isinstance(field, DateInputField) else field.id
                errors[anchor] = [f"{setting.name}: {messages[0]}"]
        return errors

