"""Own-organisation objects for tests/test_fuzz_forms.py: one builder per POST endpoint.

A builder gets the user who will sign in (None for public pages), inside an app context, builds what the
form needs in THAT user's organisation and returns a list of targets: (post_url, page_url). page_url is the
page whose <form action=post_url> carries the fields and CSRF token (None: post_url itself). A builder may
move the user into another organisation (e.g. the council factories.evaluated_referral creates).
"""
from __future__ import annotations

from datetime import timedelta

from portal.core import db
from portal.core.db import utcnow
from tests import factories


def _org(user):
    return user.organisation


def _admitted_setting(user):
    """A home of a provider admitted to a DPS of the user's council."""
    dps_obj = factories.dps(_org(user))
    provider = factories.organisation("provider")
    factories.admitted(provider, dps_obj)
    return factories.setting(provider)


def _invited_referral(user, **fields):
    referral = factories.referral(status="published", **fields)
    factories.invite(referral, _org(user), factories.setting(_org(user)))
    return referral


def _closed_referral_with_proposal(user, *, scored=False, moderated=False):
    """A closed referral of the user's council with one submitted proposal (Proposal A) and a panel of two
    (the user too, when a panel member); scored: both submitted 3s; moderated: the officer moderated them."""
    referral = factories.referral(_org(user), status="closed", closed_at=utcnow())
    proposal = factories.proposal(referral, blind_position=0)
    members = [user] if user.has_role("panel_member") else []
    members += [factories.user("panel_member", org=_org(user)) for _ in range(2 - len(members))]
    rows = factories.panel(referral, *members)
    if scored:
        for member, row in zip(members, rows):
            factories.scores(proposal, member, 3)
            row.submitted_at = utcnow()
    if moderated:
        factories.moderated(proposal, user, 3)
    db.session.flush()
    return referral, proposal


def _evaluated(user, *, reveal=False, award=False):
    from tendering import award as awards

    scenario = factories.evaluated_referral()
    user.organisation_id = scenario["council"].id
    db.session.flush()
    referral = scenario["referral"]
    if reveal or award:
        awards.reveal_prices(referral, scenario["officer"])
    if award:
        awards.award(referral, scenario["A"].id, "Best quality and price", scenario["officer"])
    db.session.flush()
    return referral


def _url(path):
    return lambda user: [(path, None)]


def _setting_url(suffix, page=None):
    def build(user):
        home = factories.setting(_org(user))
        factories.vacancy(home)
        return [(f"/settings/{home.id}{suffix}", page.format(id=home.id) if page else None)]
    return build


def _vacancies(path, page):
    def build(user):
        factories.vacancy(factories.setting(_org(user)))
        return [(path, page)]
    return build


def _application(status, suffix, page=True):
    def build(user):
        application = factories.application(provider=_org(user), status=status)
        return [(f"/applications/{application.id}{suffix}", f"/applications/{application.id}" if page else None)]
    return build


def _application_sections(user):
    from portal.admission_questionnaire import SECTIONS

    application = factories.application(provider=_org(user), status="draft")
    return [(f"/applications/{application.id}/sections/{name}", None) for name in SECTIONS]


def _referral_sections(user):
    from tendering.authoring import SECTIONS

    referral = factories.referral(_org(user))
    return [(f"/referrals/{referral.id}/sections/{name}", None) for name in SECTIONS]


def _decisions(user):
    from portal.dps_views import DECISIONS

    dps_obj, targets = factories.dps(_org(user)), []
    for status in ("submitted", "admitted", "suspended"):
        for name in DECISIONS[status]:  # a fresh application per decision: the first valid one moves it on
            application = factories.application(dps_obj, status=status)
            targets.append((f"/dps/applications/{application.id}/{name}", f"/dps/applications/{application.id}"))
    return targets


def _reset_token(purpose):
    def build(user):
        from portal.core.auth import make_token

        someone = factories.user("provider_admin", password=None if purpose == "invite" else factories.PASSWORD)
        return [(f"/{'password/reset' if purpose == 'reset' else 'invitation'}/{make_token(someone, purpose)}",
                 None)]
    return build


def _feedback_link(user):
    from portal.core.db import utcnow as now
    from quality.feedback import hash_token
    from quality.models import FeedbackRequest

    placement = factories.placement()
    db.session.add(FeedbackRequest(placement_id=placement.id, respondent_type="child", token_hash=hash_token("fuzz-token"),
                                   sent_to="someone@example.org", created_at=now(),
                                   expires_at=now() + timedelta(days=28)))
    return [("/feedback/fuzz-token", None)]


def _question(user):
    from tendering.models import Clarification

    referral = factories.referral(_org(user), status="published")
    question = Clarification(referral_id=referral.id, provider_id=factories.organisation("provider").id,
                             question="Is there a garden?")
    db.session.add(question)
    db.session.flush()
    return [(f"/referrals/{referral.id}/questions/{question.id}/answer", f"/referrals/{referral.id}/questions")]


def _panel(suffix):
    def build(user):
        referral, _proposal = _closed_referral_with_proposal(user)
        return [(f"/panel/{referral.id}{suffix}", None)]
    return build


def _panel_submit(user):
    referral, proposal = _closed_referral_with_proposal(user)
    factories.scores(proposal, user, 3)
    return [(f"/panel/{referral.id}/submit", None)]


def _moderate(user):
    referral, proposal = _closed_referral_with_proposal(user, scored=True)
    return [(f"/referrals/{referral.id}/moderation/{proposal.id}", None)]


def _lock(user):
    referral, _proposal = _closed_referral_with_proposal(user, scored=True, moderated=True)
    return [(f"/referrals/{referral.id}/lock", None)]


def _set_panel(user):
    referral = factories.referral(_org(user), status="published")
    for _ in range(3):
        factories.user("panel_member", org=_org(user))
    return [(f"/referrals/{referral.id}/panel", None)]


def _referral_post(status, suffix, page=None, **fields):
    def build(user):
        if status == "closed":
            fields.setdefault("closed_at", utcnow())
        referral = factories.referral(_org(user), status=status, **fields)
        return [(f"/referrals/{referral.id}{suffix}", page.format(id=referral.id) if page else None)]
    return build


def _award_post(suffix, page=True, **kwargs):
    def build(user):
        referral = _evaluated(user, **kwargs)
        return [(f"/referrals/{referral.id}{suffix}", f"/referrals/{referral.id}/results" if page else None)]
    return build


def _placed_post(suffix):
    """A referral whose child has moved in (status placed), for the placement-ending form."""
    def build(user):
        from tendering import placements

        referral = _evaluated(user, award=True)
        placements.record_moved_in(referral, None)
        db.session.flush()
        return [(f"/referrals/{referral.id}{suffix}", f"/referrals/{referral.id}/results")]
    return build


def _spot_purchase(user):
    dps_obj = factories.dps(_org(user))
    provider = factories.organisation("provider")
    factories.admitted(provider, dps_obj)
    factories.setting(provider)
    referral = factories.referral(dps_obj=dps_obj, status="no_suitable_proposal", quality_locked_at=utcnow())
    return [(f"/referrals/{referral.id}/spot-purchase", f"/referrals/{referral.id}/results")]


def _visit(status, suffix, page=False):
    def build(user):
        factories.quality_standards()
        visit = factories.monitoring_visit(_admitted_setting(user), _org(user), status=status)
        return [(f"/quality/visits/{visit.id}{suffix}", f"/quality/visits/{visit.id}" if page else None)]
    return build


def _setting_quality(suffix):
    def build(user):
        factories.quality_standards()
        return [(f"/quality/settings/{_admitted_setting(user).id}{suffix}", None)]
    return build


def _action(status, suffix, provider_side):
    def build(user):
        if provider_side:
            action = factories.qa_action(factories.setting(_org(user)), status=status)
        else:
            action = factories.qa_action(_admitted_setting(user), _org(user), status=status)
        return [(f"/quality/actions/{action.id}{suffix}", f"/quality/actions/{action.id}")]
    return build


def _standard(suffix, page=None):
    def build(user):
        from sqlalchemy import select

        from quality.models import QualityStandard

        factories.quality_standards()
        standard = db.session.scalars(select(QualityStandard).where(QualityStandard.framework == "fostering")).first()
        return [(f"/quality/standards/{standard.id}{suffix}", page)]
    return build


def _placement(user):
    placement = factories.placement(_org(user))
    return [(f"/feedback/placements/{placement.id}/request", None)]


def _moderation(user):
    response = factories.feedback_response(factories.placement(_org(user)), comment="Kind staff, <b>mostly</b>")
    return [(f"/feedback/moderation/{response.id}", None)]


def _meeting_minutes(user):
    meeting = factories.forum_meeting(factories.dps(_org(user)))
    return [(f"/forums/meetings/{meeting.id}/minutes", f"/forums/meetings/{meeting.id}")]


def _meetings_new(user):
    factories.dps(_org(user))
    return [("/forums/meetings/new", None)]


def _lift(user):
    from quality.models import ComplianceStatus

    setting = _admitted_setting(user)
    row = ComplianceStatus(subject_type="provider", subject_id=setting.provider_id, provider_id=setting.provider_id,
                           status="suspended", reasons=[], failing_since={})
    db.session.add(row)
    db.session.flush()
    return [(f"/compliance/status/{row.id}/lift", None)]


def _rename_lot(user):
    return [(f"/dps/lots/{factories.dps(_org(user)).lots[0].id}/rename", None)]


def _with_dps(path):
    def build(user):
        factories.dps(_org(user))
        return [(path, None)]
    return build


def _new_lots(user):
    return [(f"/applications/new/{factories.dps().id}", None)]


def _new_application(user):
    factories.dps(), factories.dps()  # with one DPS the page goes straight to its lots
    return [("/applications/new", None)]


def _remove_user(user):
    colleague = factories.user(sorted(user.roles)[0], org=_org(user))
    return [(f"/organisation/users/{colleague.id}/remove", "/organisation/users")]


def _document_remove(user):
    return [(f"/documents/{factories.document(_org(user)).id}/remove", None)]


def _invitation(suffix):
    def build(user):
        return [(f"/invitations/{_invited_referral(user).id}{suffix}", None)]
    return build


def _withdraw(user):
    referral = factories.referral(status="published")
    factories.proposal(referral, _org(user))
    return [(f"/invitations/{referral.id}/proposal/withdraw", None)]


def _returns(user):
    from quality import returns

    month = returns.recent_months(returns.uk_today())[0]
    return [(f"/returns/{factories.setting(_org(user)).id}?month={month:%Y-%m}", None)]


def _export(user):
    """A table big enough (EXPORT_SYNC_LIMIT is 0 in the test) to get the button that starts an export job."""
    if user.has_role("dps_manager"):
        factories.admitted(factories.organisation("provider"), factories.dps(_org(user)))
        return [("/exports/dps-providers", "/dps/providers")]
    factories.referral(_org(user))
    return [("/exports/referrals", "/referrals")]


def _retry_job(user):
    from portal.core.jobs import function_path
    from portal.core.models import JobRun
    from portal.jobs import remind_vacancies_about_to_go_stale as harmless

    run = JobRun(key="fuzz:retry", function=function_path(harmless), status="failed", args=[], attempts=1,
                 last_error="boom")
    db.session.add(run)
    db.session.flush()
    return [(f"/admin/jobs/{run.id}/retry", "/admin/jobs?status=failed")]


def _pending(suffix, *, totp=True, page=None):
    """A browser half-way through signing in: the password was right, the second step is to come. The third
    element of the target is the email the sweep signs in with (password only) before fetching the page."""
    def build(user):
        someone = factories.user("placements_officer", totp=totp)
        return [(f"/sign-in/{suffix}", page, someone.email)]
    return build


def _turn_off(user):
    import pyotp

    user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), utcnow()
    return [("/account/two-factor/turn-off", None)]


def _unlock(user):
    from portal.core import auth

    someone = factories.user("provider_admin")
    someone.locked_at = utcnow()
    return [(f"/account/unlock/{auth.make_token(someone, auth.UNLOCK_PURPOSE)}", None)]


# Signed-in pages whose form only some roles ever see (default: every role the rule allows).
ROLES = {"two_factor.set_up": ["provider_staff"], "two_factor.turn_off": ["provider_admin"]}

BUILDERS = {
    # public
    "core.login": _url("/sign-in"),
    "core.forgot_password": _url("/password/forgot"),
    "core.reset_password": _reset_token("reset"),
    "core.accept_invitation": _reset_token("invite"),
    "accounts.register": _url("/register"),
    "accounts.resend": _url("/register/resend"),
    "feedback.respond": _feedback_link,
    "two_factor.code": _pending("code"),
    "two_factor.recovery": _pending("recovery-code"),
    "two_factor.enrol": _pending("set-up-two-factor", totp=False),
    "two_factor.cancel": lambda user: [("/sign-in/cancel", "/sign-in/set-up-two-factor", target[2])
                                       for target in _pending("", totp=False)(user)],
    "two_factor.unlock": _unlock,
    "two_factor.set_up": _url("/account/two-factor/set-up"),
    "two_factor.turn_off": _turn_off,
    # organisation and users
    "accounts.organisation_edit": _url("/organisation/edit"),
    "accounts.organisation_preferences": _url("/organisation/referral-preferences"),
    "core.invite_user": _url("/organisation/users/invite"),
    "core.remove_user": _remove_user,
    "core.retry_job": _retry_job,
    "table_exports.start": _export,
    # homes, vacancies, documents, returns
    "settings.new_setting": _url("/settings/new"),
    "settings.edit": _setting_url("/edit"),
    "settings.close": _setting_url("/close"),
    "settings.vacancy": _setting_url("/vacancy"),
    "settings.confirm": _setting_url("/vacancy/confirm", "/settings/{id}"),
    "settings.vacancies": _vacancies("/vacancies", None),
    "settings.vacancies_confirm_all": _vacancies("/vacancies/confirm-all", "/vacancies"),
    "documents.documents_new": _url("/documents/new"),
    "documents.documents_remove": _document_remove,
    "returns.submit": _returns,
    # DPS applications and management
    "applications.applications_new": _new_application,
    "applications.applications_new_lots": _new_lots,
    "applications.applications_section": _application_sections,
    "applications.applications_submit": _application("draft", "/submit"),
    "applications.applications_resubmit": _application("clarification_requested", "/resubmit"),
    "applications.applications_withdraw": _application("admitted", "/withdraw", page=False),
    "dps.overview_new": _url("/dps/new"),
    "dps.overview_rename_lot": _rename_lot,
    "dps.applications_decide": _decisions,
    "ofsted.imports_new": _url("/dps/ofsted-imports/new"),
    # referrals, invitations, proposals, evaluation, award
    "referrals.referrals_new": _with_dps("/referrals/new"),
    "referrals.referrals_section": _referral_sections,
    "referrals.referrals_publish": _referral_post("draft", "/publish"),
    "invitations.decline": _invitation("/decline"),
    "proposals.edit": _invitation("/proposal"),
    "proposals.withdraw": _withdraw,
    "clarifications.provider_questions": _invitation("/questions"),
    "clarifications.answer": _question,
    "evaluation.panel": _set_panel,
    "evaluation.moderate": _moderate,
    "evaluation.lock": _lock,
    "evaluation.no_proposals": _referral_post("closed", "/no-proposals", "/referrals/{id}/moderation"),
    "panel.proposal": _panel("/proposals/A"),
    "panel.submit": _panel_submit,
    "award.reveal": _award_post("/reveal", page=False),
    "award.award": _award_post("/award", reveal=True),
    "award.moved_in": _award_post("/moved-in", award=True),
    "award.ended": _placed_post("/ended"),
    "award.rerun": _referral_post("no_suitable_proposal", "/rerun", "/referrals/{id}/results",
                                  quality_locked_at=utcnow()),
    "award.spot_purchase": _spot_purchase,
    "award.cancel": _referral_post("published", "/cancel"),
    # quality
    "visits.visits_plan": _setting_quality("/visits/new"),
    "visits.visits_record": _visit("planned", "/record"),
    "visits.visits_cancel": _visit("planned", "/cancel"),
    "visits.visits_issue": _visit("completed", "/issue", page=True),
    "actions.actions_new_for_visit": _visit("completed", "/actions/new"),
    "actions.actions_new_for_setting": _setting_quality("/actions/new"),
    "actions.actions_respond": _action("open", "/respond", provider_side=True),
    "actions.actions_close": _action("provider_responded", "/close", provider_side=False),
    "standards.standards_new": _url("/quality/standards/fostering/new"),
    "standards.standards_edit": _standard("/edit"),
    "standards.standards_toggle": _standard("/toggle", "/quality/standards"),
    "feedback.send": _placement,
    "feedback.moderate": _moderation,
    "forums.meetings_new": _meetings_new,
    "forums.meetings_minutes": _meeting_minutes,
    "compliance.lift": _lift,
}

# POST endpoints deliberately not fuzzed, each with the reason.
EXCLUDED = {
    "core.logout": "no fields but the CSRF token, and it ends the session the sweep signs in with",
}
