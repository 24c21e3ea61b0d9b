"""Forms for DPS applications (provider side) and the DPS manager's decisions, one form per decision.

The questionnaire forms only check formats and lengths, so that a half-finished section can be
saved as a draft; whether a section is complete is the rule in portal.admissions.section_errors.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (GovCheckboxesInput, GovRadioInput, GovSelect, GovSubmitInput,
                                                GovTextArea, GovTextInput)
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.admission_questionnaire import COVERS, MAX_TEXT, SECTIONS, TURNOVER_BANDS, YES_NO
from portal.admissions import MAX_REASON

_LONG = Length(max=MAX_TEXT, message=f"Answers must be {MAX_TEXT} characters or fewer")
_SHORT = Length(max=200, message="Answers must be 200 characters or fewer")


def _label(section: str, key: str) -> str:
    return dict(SECTIONS[section].fields)[key]


def _choices(options: dict) -> list[SelectChoice]:
    return [SelectChoice(k, v) for k, v in options.items()]


class _SectionForm(FlaskForm):
    section = ""
    save = SubmitField("Save and continue", widget=GovSubmitInput())
    draft = SubmitField("Save as draft", widget=GovSubmitInput())

    def answers(self) -> dict:
        keys = dict(SECTIONS[self.section].fields)
        out = {}
        for key in keys:
            value = self[key].data
            out[key] = value.strip() if isinstance(value, str) else (list(value) if value else value)
        return {k: v for k, v in out.items() if v not in (None, "", [])}

    @property
    def is_draft(self) -> bool:
        return bool(self.draft.data)


class OrganisationSectionForm(_SectionForm):
    section = "organisation"
    legal_name = StringField(_label("organisation", "legal_name"), widget=GovTextInput(), validators=[_SHORT])
    companies_house_number = StringField(_label("organisation", "companies_house_number"), widget=GovTextInput(),
                                         description="Leave blank if you are not a company, for example a "
                                                     "council's own service", validators=[Length(max=8, message=
                                                     "Companies House number must be 8 characters")])
    address = TextAreaField(_label("organisation", "address"), widget=GovTextArea(), validators=[_LONG])
    postcode = StringField(_label("organisation", "postcode"), widget=GovTextInput(), validators=[
        Length(max=10, message="Enter a real postcode, like SE6 4RU")])
    contact_name = StringField(_label("organisation", "contact_name"), widget=GovTextInput(), validators=[_SHORT])
    contact_email = StringField(_label("organisation", "contact_email"), widget=GovTextInput(), validators=[
        Length(max=254, message="Email address must be 254 characters or fewer")])
    contact_phone = StringField(_label("organisation", "contact_phone"), widget=GovTextInput(), validators=[
        Length(max=30, message="Telephone number must be 30 characters or fewer")])

    def answers(self) -> dict:
        values = super().answers()
        if values.get("companies_house_number"):
            values["companies_house_number"] = values["companies_house_number"].upper().replace(" ", "")
        if values.get("postcode"):
            values["postcode"] = values["postcode"].upper()
        if values.get("contact_email"):
            values["contact_email"] = values["contact_email"].lower()
        return values


class FinancialSectionForm(_SectionForm):
    section = "financial"
    turnover_band = RadioField(_label("financial", "turnover_band"), widget=GovRadioInput(),
                               choices=_choices(TURNOVER_BANDS), validators=[Optional()],
                               validate_choice=True)
    accounts_up_to_date = RadioField("Are your accounts filed and up to date?", widget=GovRadioInput(),
                                     choices=_choices(YES_NO), validators=[Optional()])
    statement = TextAreaField(_label("financial", "statement"), widget=GovTextArea(),
                              description="In a few sentences: your financial position and any risks to it",
                              validators=[_LONG])


class InsuranceSectionForm(_SectionForm):
    section = "insurance"
    covers = SelectMultipleField("Confirm the insurance cover you hold", widget=GovCheckboxesInput(),
                                 choices=_choices(COVERS),
                                 description="You will upload the certificates with your documents. Select all "
                                             "that apply",
                                 invalid_choice_message="Select insurance cover from the list",
                                 validators=[Optional()])


class SafeguardingSectionForm(_SectionForm):
    section = "safeguarding"
    lead_name = StringField(_label("safeguarding", "lead_name"), widget=GovTextInput(),
                            description="Full name and job title", validators=[_SHORT])
    dbs_policy = RadioField("Do you have a policy of enhanced DBS checks for all staff?", widget=GovRadioInput(),
                            choices=_choices(YES_NO), validators=[Optional()])
    statement = TextAreaField(_label("safeguarding", "statement"), widget=GovTextArea(),
                              description="How you keep children safe, and how concerns are reported",
                              validators=[_LONG])


class ExclusionsSectionForm(_SectionForm):
    section = "exclusions"
    mandatory = RadioField("Do any of the mandatory exclusion grounds apply to your organisation?",
                           widget=GovRadioInput(), choices=_choices(YES_NO), validators=[Optional()],
                           description="For example, a conviction for fraud, corruption or a terrorist offence")
    mandatory_explanation = TextAreaField("If yes, explain which grounds apply and what you have done",
                                          widget=GovTextArea(), validators=[_LONG])
    discretionary = RadioField("Do any of the discretionary exclusion grounds apply to your organisation?",
                               widget=GovRadioInput(), choices=_choices(YES_NO), validators=[Optional()],
                               description="For example, insolvency, professional misconduct or significant "
                                           "failings in a previous contract")
    discretionary_explanation = TextAreaField("If yes, explain which grounds apply and what you have done",
                                              widget=GovTextArea(), validators=[_LONG])


SECTION_FORMS = {form.section: form for form in (OrganisationSectionForm, FinancialSectionForm,
                                                 InsuranceSectionForm, SafeguardingSectionForm,
                                                 ExclusionsSectionForm)}


# --- starting, submitting, answering, withdrawing ---------------------------------------------------

class ChooseDpsForm(FlaskForm):
    dps = RadioField("Which DPS do you want to join?", widget=GovRadioInput(), choices=[],
                     validators=[InputRequired("Select the DPS you want to join")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChooseLotsForm(FlaskForm):
    lots = SelectMultipleField("Which lots do you want to join?", widget=GovCheckboxesInput(), choices=[],
                               description="Select all that apply", coerce=int,
                               invalid_choice_message="Select lots from the list",
                               validators=[InputRequired("Select at least one lot")])
    submit = SubmitField("Start application", widget=GovSubmitInput())


class SubmitApplicationForm(FlaskForm):
    submit = SubmitField("Submit application", widget=GovSubmitInput())


def _reason(label: str, required: str, hint: str | None = None) -> TextAreaField:
    return TextAreaField(label, widget=GovTextArea(), description=hint or "",
                         validators=[InputRequired(required), Length(max=MAX_REASON, message=
                                                                      f"Must be {MAX_REASON} characters or fewer")])


class ResubmitForm(FlaskForm):
    answer = _reason("Your answer to the DPS manager's question", "Enter your answer to the DPS manager's question")
    submit = SubmitField("Send answer and resubmit", widget=GovSubmitInput())


class WithdrawForm(FlaskForm):
    reason = _reason("Why are you withdrawing from the DPS?", "Enter the reason for withdrawing from the DPS")
    submit = SubmitField("Withdraw from the DPS", widget=GovSubmitInput())


# --- the DPS manager's decisions --------------------------------------------------------------------

class AdmitForm(FlaskForm):
    note = TextAreaField("Note for the provider (optional)", widget=GovTextArea(), validators=[
        Optional(), Length(max=MAX_REASON, message=f"Must be {MAX_REASON} characters or fewer")])
    submit = SubmitField("Admit to the DPS", widget=GovSubmitInput())


class RejectForm(FlaskForm):
    reason = _reason("Reason for rejecting", "Enter the reason for rejecting the application",
                     "The provider will see this reason")
    submit = SubmitField("Reject application", widget=GovSubmitInput())


class ClarifyForm(FlaskForm):
    reason = _reason("Your question for the provider", "Enter the question you want the provider to answer",
                     "The decision clock keeps running while the provider answers")
    submit = SubmitField("Ask for clarification", widget=GovSubmitInput())


class ExtendForm(FlaskForm):
    reason = _reason("Reason for extending to 15 working days", "Enter the reason for extending the decision "
                     "period", "You can extend the decision period only once")
    submit = SubmitField("Extend the decision period", widget=GovSubmitInput())


class SuspendForm(FlaskForm):
    reason = _reason("Reason for suspending", "Enter the reason for suspending the provider",
                     "A suspended provider receives no new referrals from this DPS")
    submit = SubmitField("Suspend from the DPS", widget=GovSubmitInput())


class ReinstateForm(FlaskForm):
    note = TextAreaField("Note for the provider (optional)", widget=GovTextArea(), validators=[
        Optional(), Length(max=MAX_REASON, message=f"Must be {MAX_REASON} characters or fewer")])
    submit = SubmitField("Reinstate", widget=GovSubmitInput())


class ManagerWithdrawForm(FlaskForm):
    reason = _reason("Reason for withdrawing the provider from the DPS",
                     "Enter the reason for withdrawing the provider from the DPS")
    submit = SubmitField("Withdraw from the DPS", widget=GovSubmitInput())


DECISION_FORMS = {"admit": AdmitForm, "reject": RejectForm, "clarify": ClarifyForm, "extend": ExtendForm,
                  "suspend": SuspendForm, "reinstate": ReinstateForm, "withdraw": ManagerWithdrawForm}


class NewDpsForm(FlaskForm):
    name = StringField("Name of the DPS", widget=GovTextInput(),
                       validators=[InputRequired("Enter a name for the DPS"),
                                   Length(max=200, message="Name must be 200 characters or fewer")])
    submit = SubmitField("Create DPS", widget=GovSubmitInput())


class RenameLotForm(FlaskForm):
    name = StringField("Name of the lot", widget=GovTextInput(),
                       validators=[InputRequired("Enter a name for the lot"),
                                   Length(max=200, message="Name must be 200 characters or fewer")])
    submit = SubmitField("Save name", widget=GovSubmitInput())


# --- filters (GET, no CSRF) -------------------------------------------------------------------------

class _Filter(FlaskForm):
    class Meta:
        csrf = False

    submit = SubmitField("Apply filters", widget=GovSubmitInput())


class QueueFilterForm(_Filter):
    status = SelectField("Status", widget=GovSelect(), validators=[Optional()], choices=[])


class ProviderFilterForm(_Filter):
    lot = SelectField("Lot admitted to", widget=GovSelect(), validators=[Optional()], choices=[])
    kind = SelectField("Kind of home", widget=GovSelect(), validators=[Optional()], choices=[])
    rating = SelectField("Ofsted rating", widget=GovSelect(), validators=[Optional()], choices=[])
    compliance = SelectField("Compliance", widget=GovSelect(), validators=[Optional()], choices=[])
    area = SelectField("Region (postcode area)", widget=GovSelect(), validators=[Optional()], choices=[])
