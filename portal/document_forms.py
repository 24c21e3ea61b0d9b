"""Forms for documents: upload one, remove one. The service (portal/documents.py) re-checks the rules."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from portal.documents import MAX_COVER_PENCE, PER_SETTING_KINDS, london_today
from portal.filetypes import UploadRefused, check_upload
from portal.forms import DateInputField
from portal.models import DOCUMENT_KINDS, INSURANCE_KINDS, MAX_DOCUMENT_BYTES

MONEY_RE = re.compile(r"^\d+(?:\.\d{1,2})?$")
MAX_YEARS_AHEAD = 10
COVER_FORMAT = "Enter the cover amount in pounds, like 5,000,000"


def parse_pounds(text: str | None) -> int | None:
    """'£5,000,000' or '2500000.50' → pence; None if it is not an amount of money."""
    cleaned = (text or "").strip().replace("£", "").replace(",", "").replace(" ", "")
    if not MONEY_RE.fullmatch(cleaned):
        return None
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return None


class UploadDocumentForm(FlaskForm):
    """Home choices are set by the view from the provider's own open homes."""

    kind = RadioField("What kind of document is it?", widget=GovRadioInput(),
                      choices=[SelectChoice(k, v) for k, v in DOCUMENT_KINDS.items()],
                      validators=[InputRequired("Select the kind of document")], validate_choice=True,
                      invalid_choice_message="Select the kind of document")
    setting = SelectField("Home", widget=GovSelect(), choices=[], validate_choice=False,
                          description="Only for a statement of purpose: each home has its own")
    cover = StringField("Cover amount", widget=GovTextInput(),
                        description="Only for insurance: the limit of indemnity, in pounds",
                        validators=[Length(max=30, message=COVER_FORMAT)])
    expires_on = DateInputField("Expiry date", description="Only for insurance. For example, 31 3 2026",
                                invalid="Expiry date must be a real date")
    file = FileField("Upload a file", widget=GovFileInput())
    submit = SubmitField("Upload document", widget=GovSubmitInput())

    file_bytes: bytes = b""
    cover_pence: int | None = None

    @property
    def insurance(self) -> bool:
        return self.kind.data in INSURANCE_KINDS

    def validate_setting(self, field):
        if self.kind.data not in PER_SETTING_KINDS:
            return
        if field.data not in {c.value for c in field.choices if c.value}:
            raise ValidationError("Select the home this statement of purpose is for")

    def validate_cover(self, field):
        if not self.insurance:
            return
        if not (field.data or "").strip():
            raise ValidationError("Enter the cover amount")
        pence = parse_pounds(field.data)
        if pence is None:
            raise ValidationError(COVER_FORMAT)
        if pence <= 0:
            raise ValidationError("Cover amount must be more than £0")
        if pence > MAX_COVER_PENCE:
            raise ValidationError("Cover amount must be £100,000,000,000 or less")
        self.cover_pence = pence

    def validate_expires_on(self, field):
        if not self.insurance or field.errors:
            return
        if field.data is None:
            raise ValidationError("Enter the date the insurance expires")
        today = london_today()
        if field.data < today:
            raise ValidationError("The insurance has already expired: upload the current certificate")
        if field.data > today + timedelta(days=366 * MAX_YEARS_AHEAD):
            raise ValidationError(f"Expiry date must be within {MAX_YEARS_AHEAD} years")

    def validate_file(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError("Select a file")
        data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
        try:
            check_upload(data, MAX_DOCUMENT_BYTES)
        except UploadRefused as exc:
            raise ValidationError(str(exc)) from None
        self.file_bytes = data


class RemoveDocumentForm(FlaskForm):
    submit = SubmitField("Remove document", widget=GovSubmitInput())
