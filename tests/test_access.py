"""Every route declares who may use it; this walks app.url_map and tries each role on each route."""
from __future__ import annotations

import pytest
from werkzeug.routing import Rule as UrlRule

from portal.core import db
from portal.core.access import rule_for
from portal.core.mail import notify
from portal.core.models import ROLES, ROLES_FOR_KIND
from tests import factories
from tests.conftest import csrf_from, make_app, signed_in_client

STATIC = {"static", "assets", "govuk_dist"}
MISSING_ID = 987654321


def _routes(app) -> list[UrlRule]:
    """Every route but static files; signing out comes last so the sweep keeps its session."""
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in STATIC),
                  key=lambda r: (r.endpoint == "core.logout", r.rule))


def _url(rule: UrlRule, value=MISSING_ID) -> str:
    return rule.rule.replace("<int:", "<").split("<")[0] + "".join(
        f"{value}" + part.split(">", 1)[1] for part in rule.rule.split("<")[1:]) if "<" in rule.rule else rule.rule


def _methods(rule: UrlRule) -> list[str]:
    return sorted(m for m in rule.methods if m not in {"HEAD", "OPTIONS"})


def test_every_route_declares_an_access_rule(app):
    missing = [r.endpoint for r in _routes(app) if rule_for(app, r.endpoint) is None]
    assert not missing, f"routes without an access rule: {missing}"


def _kind_for(role: str) -> str:
    return next(kind for kind, roles in ROLES_FOR_KIND.items() if role in roles)


@pytest.fixture
def signed_in_as(app):
    def login(role: str):
        client = signed_in_client(app, role)
        token = csrf_from(client.get("/organisation/users" if role in ("provider_admin", "dps_manager",
                                                                         "system_admin") else "/dashboard")
                          .get_data(as_text=True))
        return client, token
    return login


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_gets_exactly_what_each_rule_says(app, signed_in_as, role):
    client, token = signed_in_as(role)
    for url_rule in _routes(app):
        rule = rule_for(app, url_rule.endpoint)
        if rule.public:
            continue
        for method in _methods(url_rule):
            url = _url(url_rule)
            response = client.open(url, method=method, data={"csrf_token": token})
            where = f"{method} {url} as {role}"
            if rule.roles and role not in rule.roles:
                assert response.status_code == 403, where
            elif rule.owner is not None:
                assert response.status_code == 404, where  # an id that is not theirs (here: no such object)
            else:
                assert response.status_code < 500 and response.status_code != 403, where


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    for url_rule in _routes(app):
        if rule_for(app, url_rule.endpoint).public:
            continue
        for method in _methods(url_rule):
            response = client.open(_url(url_rule), method=method, data={"csrf_token": token})
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url_rule.rule


# Another organisation's real objects, one factory per route that takes an owned id. A new route
# with an owner check must add its case here, or test_every_owner_route_has_a_cross_organisation_case fails.
def _other_inbox_message(app):
    other = factories.user("provider_admin")
    return notify(other, "password_reset", "user", other.id, link="http://localhost/x", minutes=60)


def _other_colleague(app):
    return factories.user("provider_staff")


def _other_councils_ofsted_import(app):
    from portal.ofsted import create_import

    return create_import(b"URN,Registration status\r\n", "other.csv", uploaded_by=factories.user("dps_manager"))


def _other_setting(app):
    return factories.setting(factories.organisation("provider"))


def _other_setting_with_vacancy(app):
    return factories.vacancy(factories.setting(factories.organisation("provider"))).setting


CROSS_ORG = {
    "core.inbox_message": ("provider_admin", _other_inbox_message),
    "core.remove_user": ("provider_admin", _other_colleague),
    "settings.setting": ("provider_staff", _other_setting),
    "settings.edit": ("provider_admin", _other_setting),
    "settings.close": ("provider_admin", _other_setting),
    "settings.vacancy": ("provider_staff", _other_setting_with_vacancy),
    "settings.confirm": ("provider_staff", _other_setting_with_vacancy),
    "ofsted.imports_detail": ("dps_manager", _other_councils_ofsted_import),
}


def _other_providers_document(app):
    return factories.document(factories.organisation("provider"))


CROSS_ORG.update({
    "documents.documents_detail": ("provider_staff", _other_providers_document),
    "documents.documents_download": ("provider_staff", _other_providers_document),
    "documents.documents_remove": ("provider_admin", _other_providers_document),
})


def _other_providers_application(app):
    return factories.application(status="admitted")


def _other_dps_application(app):  # submitted to a DPS of another council
    return factories.application(status="submitted")


def _other_dps_lot(app):
    return factories.dps().lots[0]


def _other_dps_provider(app):
    return factories.application(status="submitted").provider


CROSS_ORG.update({
    "applications.applications_detail": ("provider_staff", _other_providers_application),
    "applications.applications_section": ("provider_admin", _other_providers_application),
    "applications.applications_submit": ("provider_admin", _other_providers_application),
    "applications.applications_resubmit": ("provider_admin", _other_providers_application),
    "applications.applications_withdraw": ("provider_admin", _other_providers_application),
    "dps.applications_detail": ("dps_manager", _other_dps_application),
    "dps.applications_decide": ("dps_manager", _other_dps_application),
    "dps.overview_rename_lot": ("dps_manager", _other_dps_lot),
    "dps.providers_detail": ("dps_manager", _other_dps_provider),
})


def _referral_invited_elsewhere(app):  # published and sent to another provider, not the signed-in one
    from tendering.models import ReferralProvider

    referral = factories.referral(status="published")
    db.session.add(ReferralProvider(referral_id=referral.id, provider_id=factories.organisation("provider").id,
                                    invited=True))
    return referral


def _other_councils_referral(app):
    return factories.referral(status="published")


CROSS_ORG.update({
    "invitations.detail": ("provider_staff", _referral_invited_elsewhere),
    "invitations.decline": ("provider_admin", _referral_invited_elsewhere),
    "distribution.distribution": ("placements_officer", _other_councils_referral),
})

def _other_councils_draft_referral(app):
    return factories.referral()


CROSS_ORG.update({
    "referrals.referrals_detail": ("placements_officer", _other_councils_draft_referral),
    "referrals.referrals_section": ("placements_officer", _other_councils_draft_referral),
    "referrals.referrals_publish": ("placements_officer", _other_councils_draft_referral),
})


def _other_councils_placement(app):
    return factories.placement()


def _other_councils_feedback_response(app):
    return factories.feedback_response(comment="The staff are kind.")


def _other_dps_forum_meeting(app):
    return factories.forum_meeting()


CROSS_ORG.update({
    "feedback.send": ("placements_officer", _other_councils_placement),
    "feedback.moderate": ("qa_officer", _other_councils_feedback_response),
    "forums.meetings_detail": ("provider_staff", _other_dps_forum_meeting),
    "forums.meetings_minutes": ("dps_manager", _other_dps_forum_meeting),
})


OPERATOR_ONLY = {"core.outbox_email", "core.retry_job"}  # system admins see every organisation's rows


CROSS_ORG.update({  # tendering/award_views.py, outcome_views.py
    "award.results": ("placements_officer", _other_councils_referral),
    "award.reveal": ("placements_officer", _other_councils_referral),
    "award.award": ("placements_officer", _other_councils_referral),
    "award.results_csv": ("placements_officer", _other_councils_referral),
    "award.results_pdf": ("placements_officer", _other_councils_referral),
    "award.moved_in": ("placements_officer", _other_councils_referral),
    "award.ended": ("placements_officer", _other_councils_referral),
    "award.rerun": ("placements_officer", _other_councils_referral),
    "award.spot_purchase": ("placements_officer", _other_councils_referral),
    "award.cancel": ("placements_officer", _other_councils_referral),
    "award.outcome": ("provider_staff", _referral_invited_elsewhere),
})


def _referral_with_another_panel(app):  # another council's closed referral, with a panel the user is not on
    from portal.core.db import utcnow

    referral = factories.referral(status="closed", closed_at=utcnow())
    council = referral.council
    factories.panel(referral, factories.user("panel_member", org=council), factories.user("panel_member", org=council))
    return referral


CROSS_ORG.update({  # tendering/evaluation_views.py, panel_views.py
    "evaluation.proposals": ("placements_officer", _other_councils_referral),
    "evaluation.panel": ("placements_officer", _other_councils_referral),
    "evaluation.moderation": ("placements_officer", _other_councils_referral),
    "evaluation.moderate": ("placements_officer", _other_councils_referral),
    "evaluation.lock": ("placements_officer", _other_councils_referral),
    "evaluation.no_proposals": ("placements_officer", _other_councils_referral),
    "evaluation.audit": ("placements_officer", _other_councils_referral),
    "panel.referral": ("panel_member", _referral_with_another_panel),
    "panel.proposal": ("panel_member", _referral_with_another_panel),
    "panel.submit": ("panel_member", _referral_with_another_panel),
})


def _referral_with_anothers_proposal(app):  # invited elsewhere; the other provider has a proposal and a question
    from tendering.models import Clarification

    referral = factories.referral(status="published")
    proposal = factories.proposal(referral)
    db.session.add(Clarification(referral_id=referral.id, provider_id=proposal.provider_id, question="Garden?"))
    return referral


CROSS_ORG.update({  # tendering/proposal_views.py, clarification_views.py
    "proposals.edit": ("provider_admin", _referral_with_anothers_proposal),
    "proposals.detail": ("provider_staff", _referral_with_anothers_proposal),
    "proposals.revision": ("provider_staff", _referral_with_anothers_proposal),
    "proposals.withdraw": ("provider_admin", _referral_with_anothers_proposal),
    "clarifications.provider_questions": ("provider_staff", _referral_with_anothers_proposal),
    "clarifications.officer_questions": ("placements_officer", _other_councils_referral),
    "clarifications.answer": ("placements_officer", _other_councils_referral),
})


def _other_councils_visit(app):
    return factories.monitoring_visit()


def _other_providers_issued_visit(app):
    return factories.monitoring_visit(status="report_issued")


def _other_councils_action(app):  # also another provider's
    return factories.qa_action()


def _other_provider(app):
    return factories.organisation("provider")


CROSS_ORG.update({  # quality/visit_views.py, action_views.py, history_views.py
    "visits.visits_detail": ("qa_officer", _other_councils_visit),
    "visits.visits_record": ("qa_officer", _other_councils_visit),
    "visits.visits_cancel": ("qa_officer", _other_councils_visit),
    "visits.visits_issue": ("qa_officer", _other_councils_visit),
    "visits.visits_report": ("provider_staff", _other_providers_issued_visit),
    "visits.visits_report_pdf": ("provider_staff", _other_providers_issued_visit),
    "actions.actions_new_for_visit": ("qa_officer", _other_councils_visit),
    "actions.actions_detail": ("provider_staff", _other_councils_action),
    "actions.actions_respond": ("provider_admin", _other_councils_action),
    "actions.actions_close": ("qa_officer", _other_councils_action),
    "history.history_provider": ("provider_staff", _other_provider),
})


def _other_dps_provider(app):
    provider = factories.organisation("provider")
    factories.admitted(provider, factories.dps())
    return provider


def _other_dps_compliance_status(app):
    from quality.models import ComplianceStatus

    provider = _other_dps_provider(app)
    row = ComplianceStatus(subject_type="provider", subject_id=provider.id, provider_id=provider.id,
                           status="suspended", reasons=[], failing_since={})
    db.session.add(row)
    db.session.flush()
    return row


CROSS_ORG.update({
    "returns.submit": ("provider_staff", _other_setting),
    "compliance.provider": ("qa_officer", _other_dps_provider),
    "compliance.lift": ("dps_manager", _other_dps_compliance_status),
})



def _other_users_table_export(app):  # portal/export_views.py: someone else's background export
    from portal.core.jobs import function_path
    from portal.core.models import JobRun
    from portal.export_views import run_export

    other = factories.user("dps_manager")
    run = JobRun(key=f"export:other-{other.id}", function=function_path(run_export), status="succeeded",
                 args=[other.id, "dps-providers", "csv", "{}", f"other-{other.id}"])
    db.session.add(run)
    db.session.flush()
    return run


CROSS_ORG.update({  # portal/export_views.py, tendering/award_views.py (ranked matrix as XLSX)
    "table_exports.progress": ("dps_manager", _other_users_table_export),
    "award.results_xlsx": ("placements_officer", _other_councils_referral),
})

CROSS_ORG_CASES = sorted(CROSS_ORG)  # fixed here: entries added below this line would never be parametrised


def test_every_owner_route_has_a_cross_organisation_case(app):
    owned = {r.endpoint for r in _routes(app) if rule_for(app, r.endpoint).owner is not None}
    assert owned - set(CROSS_ORG) - OPERATOR_ONLY == set()
    assert set(CROSS_ORG) == set(CROSS_ORG_CASES), "add CROSS_ORG entries above CROSS_ORG_CASES"


@pytest.mark.parametrize("endpoint", CROSS_ORG_CASES)
def test_another_organisations_object_is_404(app, signed_in_as, endpoint):
    role, make_other = CROSS_ORG[endpoint]
    client, token = signed_in_as(role)
    with app.app_context():
        obj = make_other(app)
        db.commit()
        obj_id = obj.id
    url_rule = next(r for r in _routes(app) if r.endpoint == endpoint)
    for method in _methods(url_rule):
        response = client.open(_url(url_rule, obj_id), method=method, data={"csrf_token": token})
        assert response.status_code == 404, f"{method} {endpoint}"


def test_a_route_without_a_rule_is_refused(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert "secret" not in app.test_client().get("/forgotten").get_data(as_text=True)
    assert app.test_client().get("/forgotten").status_code == 403
    app.extensions["homefinder.engine"].dispose()

