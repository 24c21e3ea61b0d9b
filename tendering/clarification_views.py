"""Clarification questions: the provider asks and reads the published answers; the officer answers, which
publishes the answer to every invited provider without saying who asked."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.core import db
from portal.core.access import allow, owned
from portal.core.models import User
from tendering import clarifications, closing
from tendering.clarifications import ClarificationError
from tendering.invitation_views import PROVIDER, own_invitation
from tendering.models import Clarification
from tendering.proposal_forms import AnswerForm, QuestionForm
from tendering.views import OFFICER, own_referral

bp = Blueprint("clarifications", __name__)


def own_question(user: User, referral_id: int, question_id: int) -> Clarification | None:
    referral = own_referral(user, referral_id)
    item = db.session.get(Clarification, question_id) if referral is not None else None
    return item if item is not None and item.referral_id == referral.id else None


@bp.route("/invitations/<int:referral_id>/questions", methods=["GET", "POST"])
@allow(*PROVIDER, owner=own_invitation)
def provider_questions(referral_id: int):
    row = owned()
    refusal = clarifications.ask_refusal(row)
    form = QuestionForm()
    if refusal is None and form.validate_on_submit():
        try:
            clarifications.ask(row, current_user, form.question.data)
        except ClarificationError as exc:
            db.session.rollback()
            form.question.errors = [str(exc)]
        else:
            db.commit()
            flash("Your question has been sent to the council. The answer will go to every invited provider.",
                  "success")
            return redirect(url_for("clarifications.provider_questions", referral_id=referral_id))
    elif refusal is not None and form.is_submitted():
        form.validate()
        form.question.errors = [refusal]
    return render_template("tendering/clarification_provider.html", row=row, referral=row.referral, form=form,
                           refusal=refusal, questions=clarifications.provider_view(row),
                           cutoff=clarifications.cutoff(row.referral)), (400 if form.errors else 200)


def _officer_page(referral, forms: dict | None = None, status: int = 200):
    items = clarifications.for_officer(referral)
    forms = forms or {}
    return render_template("tendering/clarification_officer.html", referral=referral,
                           items=[(item, name, forms.get(item.id) or AnswerForm(prefix=f"q{item.id}", formdata=None))
                                  for item, name in items],
                           form=next(iter(forms.values()), None),
                           refusal=clarifications.answer_refusal(referral)), status


@bp.get("/referrals/<int:referral_id>/questions")
@allow(OFFICER, owner=own_referral)
def officer_questions(referral_id: int):
    referral = owned()
    if closing.close_if_due(referral):
        db.commit()
    return _officer_page(referral)


@bp.post("/referrals/<int:referral_id>/questions/<int:question_id>/answer")
@allow(OFFICER, owner=own_question)
def answer(referral_id: int, question_id: int):
    item = owned()
    referral = item.referral
    if closing.close_if_due(referral):
        db.commit()
    form = AnswerForm(prefix=f"q{item.id}")
    if form.validate_on_submit():
        try:
            clarifications.answer(item, current_user, form.answer.data)
        except ClarificationError as exc:
            db.session.rollback()
            form.answer.errors = [str(exc)]
        else:
            db.commit()
            flash("Answer published to every invited provider.", "success")
            return redirect(url_for("clarifications.officer_questions", referral_id=referral.id))
    return _officer_page(referral, {item.id: form}, 400)
