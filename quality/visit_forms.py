"""Forms for monitoring visits, actions and the editable standards lists (one form per decision)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import DateInputField
from quality.models import ACTION_OWNERS, ACTION_PRIORITIES, JUDGEMENTS, OVERALL_JUDGEMENTS, VISIT_KINDS
from quality.visits import MAX_TEXT

_TEXT = Length(max=MAX_TEXT, message=f"Text must be {MAX_TEXT} characters or fewer")


def _choices(options: dict) -> list[SelectChoice]:
    return [SelectChoice(k, v) for k, v in options.items()]


class SearchSettingsForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search for a home", widget=GovTextInput(), validators=[Optional(), Length(max=100)],
                    description="Name, URN, postcode or provider")
    search = SubmitField("Search", widget=GovSubmitInput())


class PlanVisitForm(FlaskForm):
    kind = RadioField("Kind of visit", widget=GovRadioInput(), choices=_choices(VISIT_KINDS),
                      validators=[InputRequired("Select the kind of visit")])
    trigger_reason = TextAreaField("Concern that triggered the visit", widget=GovTextArea(), validators=[_TEXT],
                                   description="Needed for a visit triggered by a concern")
    planned_for = DateInputField("Date of the visit", description="For example, 27 3 2027",
                                 validators=[InputRequired("Enter the date of the visit")])
    submit = SubmitField("Plan visit", widget=GovSubmitInput())


def record_form_class(standards):
    """A form with one judgement and one evidence box per standard (field names use the standard's id)."""

    class RecordVisitForm(FlaskForm):
        visited_on = DateInputField("Date of the visit", description="For example, 27 3 2027")
        overall = RadioField("Overall judgement", widget=GovRadioInput(), choices=_choices(OVERALL_JUDGEMENTS),
                             validators=[Optional()])
        summary = TextAreaField("Summary", widget=GovTextArea(), validators=[_TEXT])
        save = SubmitField("Save as draft", widget=GovSubmitInput())
        complete = SubmitField("Save and complete the visit", widget=GovSubmitInput())

    for standard in standards:
        setattr(RecordVisitForm, f"judgement_{standard.id}",
                RadioField(standard.title, widget=GovRadioInput(), choices=_choices(JUDGEMENTS),
                           validators=[Optional()]))
        setattr(RecordVisitForm, f"evidence_{standard.id}",
                TextAreaField(f"Evidence for {standard.title.lower()}", widget=GovTextArea(), validators=[_TEXT]))
    return RecordVisitForm


class CancelVisitForm(FlaskForm):
    reason = TextAreaField("Why is the visit cancelled?", widget=GovTextArea(),
                           validators=[InputRequired("Enter the reason for cancelling the visit"), _TEXT])
    submit = SubmitField("Cancel visit", widget=GovSubmitInput())


class IssueReportForm(FlaskForm):
    submit = SubmitField("Issue the report to the provider", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    description = TextAreaField("What must be done", widget=GovTextArea(),
                                validators=[InputRequired("Enter what must be done"), _TEXT])
    owner = RadioField("Who owns the action", widget=GovRadioInput(), choices=_choices(ACTION_OWNERS),
                       default="provider", validators=[InputRequired("Select who owns the action")])
    priority = RadioField("Priority", widget=GovRadioInput(), choices=_choices(ACTION_PRIORITIES),
                          validators=[InputRequired("Select the priority")])
    due_on = DateInputField("Due date", description="For example, 27 3 2027",
                            validators=[InputRequired("Enter the date the action is due")])
    submit = SubmitField("Add action", widget=GovSubmitInput())


class RespondForm(FlaskForm):
    version = HiddenField()
    response = TextAreaField("Your response", widget=GovTextArea(),
                             description="What you have done, or will do, and by when",
                             validators=[InputRequired("Enter your response to the action"), _TEXT])
    submit = SubmitField("Send response", widget=GovSubmitInput())


class CloseActionForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField("Why is the action closed?", widget=GovTextArea(),
                         validators=[InputRequired("Enter a note on why the action is closed"), _TEXT])
    submit = SubmitField("Close action", widget=GovSubmitInput())


class StandardForm(FlaskForm):
    title = StringField("Standard", widget=GovTextInput(),
                        validators=[InputRequired("Enter the standard"),
                                    Length(max=200, message="The standard must be 200 characters or fewer")])
    submit = SubmitField("Save", widget=GovSubmitInput())


class ToggleStandardForm(FlaskForm):
    submit = SubmitField("Deactivate", widget=GovSubmitInput())
