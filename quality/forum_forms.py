"""Forms for the forum: filters (GET, no CSRF), scheduling a meeting, attaching minutes."""
from __future__ import annotations

import re
from datetime import time

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from portal.filetypes import UploadRefused, check_upload
from portal.forms import DateInputField
from portal.models import MAX_DOCUMENT_BYTES, SETTING_KINDS
from quality.forums import PERIODS
from quality.models import RESPONDENT_TYPES

TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField("Kind of home", widget=GovSelect(), validate_choice=True, default="",
                       choices=[SelectChoice("", "All kinds of home")] + [SelectChoice(k, v)
                                                                          for k, v in SETTING_KINDS.items()],
                       invalid_choice_message="Select a kind of home from the list")
    respondent = SelectField("Who answered", widget=GovSelect(), validate_choice=True, default="",
                             choices=[SelectChoice("", "Everyone")] + [SelectChoice(k, v)
                                                                       for k, v in RESPONDENT_TYPES.items()],
                             invalid_choice_message="Select who answered from the list")
    period = SelectField("Period", widget=GovSelect(), validate_choice=True, default="all",
                         choices=[SelectChoice(k, label) for k, (label, _) in PERIODS.items()],
                         invalid_choice_message="Select a period from the list")
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


def _file(field, required: bool) -> bytes | None:
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        if required:
            raise ValidationError("Select a file")
        return None
    data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
    try:
        check_upload(data, MAX_DOCUMENT_BYTES)
    except UploadRefused as exc:
        raise ValidationError(str(exc)) from None
    return data


class MeetingForm(FlaskForm):
    title = StringField("Title", widget=GovTextInput(), validators=[InputRequired("Enter a title"), Length(
        max=200, message="Title must be 200 characters or fewer")])
    dps = SelectField("DPS", widget=GovSelect(), choices=[], validate_choice=True,
                      invalid_choice_message="Select a DPS your council belongs to")
    day = DateInputField("Date", description="For example, 27 3 2027", invalid="Date must be a real date",
                         validators=[InputRequired("Enter the date of the meeting")])
    clock = StringField("Start time", widget=GovTextInput(), description="Use the 24-hour clock, like 14:30",
                        validators=[InputRequired("Enter the start time"), Length(max=5)])
    location = StringField("Location", widget=GovTextInput(), description="An address or 'Online'",
                           validators=[Length(max=200, message="Location must be 200 characters or fewer")])
    agenda = TextAreaField("Agenda", widget=GovTextArea(), validators=[Length(
        max=5000, message="Agenda must be 5000 characters or fewer")])
    agenda_file = FileField("Agenda document (optional)", widget=GovFileInput(),
                            description="A PDF, Word document (DOCX), PNG or JPEG")
    submit = SubmitField("Schedule meeting", widget=GovSubmitInput())

    file_bytes: bytes | None = None
    start: time | None = None

    def validate_clock(self, field):
        match = TIME_RE.match((field.data or "").strip())
        if not match:
            raise ValidationError("Enter the start time using the 24-hour clock, like 14:30")
        self.start = time(int(match.group(1)), int(match.group(2)))

    def validate_agenda_file(self, field):
        self.file_bytes = _file(field, required=False)


class MinutesForm(FlaskForm):
    file = FileField("Minutes", widget=GovFileInput(), description="A PDF, Word document (DOCX), PNG or JPEG")
    submit = SubmitField("Attach minutes", widget=GovSubmitInput())

    file_bytes: bytes | None = None

    def validate_file(self, field):
        self.file_bytes = _file(field, required=True)
