"""Authorisation sweep, the owner's side and the attacker's writes (issue #7 item 1).

tests/test_access.py proves every owner-checked route answers 404 for another organisation's object. Here:
- the OWNING organisation's user with the right role is let in to the same kind of object (so those 404s come
  from the ownership rule, not from a route that refuses everyone);
- POSTs, and ?format=csv/xlsx downloads, aimed at another organisation's objects (with every other url value
  valid) answer 404 and change nothing in the database;
- signed document and export links, and feedback links, refuse tampering, expiry and other people's files
  with a friendly page, never a 500."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from datetime import timedelta

import pytest
from freezegun import freeze_time
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import inspect, select, text

from portal.core import db
from portal.core.db import utcnow
from portal.core.mail import notify
from tests import factories
from tests.conftest import csrf_from, sign_in
from tests.test_access import CROSS_ORG, _methods, _routes

PARAM = re.compile(r"<(?:[^:<>]+:)?([A-Za-z_]+)>")


def _url(rule, values: dict) -> str:
    url = PARAM.sub(lambda m: str(values[m.group(1)]), rule.rule)
    return f"{url}?{values['?']}" if "?" in values else url


def _rule(app, endpoint):
    return next(r for r in _routes(app) if r.endpoint == endpoint)


# --- owner-side builders: (user with the role, url values) for an object of the user's own organisation ------

def _org_user(role, org=None):
    return factories.user(role, org=org)


def _provider_user(role):
    user = _org_user(role)
    return user, user.organisation


def _council_user(role):
    user = _org_user(role)
    return user, user.organisation


def own_inbox_message(role):
    user = _org_user(role)
    message = notify(user, "password_reset", "user", user.id, link="http://localhost/x", minutes=60)
    db.session.flush()
    return user, {"message_id": message.id}


def own_return(role):
    from quality import returns

    user, values = own_setting()(role)
    return user, {**values, "?": f"month={returns.recent_months(returns.uk_today())[0]:%Y-%m}"}


def own_setting(with_vacancy=False):
    def build(role):
        user, org = _provider_user(role)
        home = factories.setting(org)
        if with_vacancy:
            factories.vacancy(home)
        return user, {"setting_id": home.id}
    return build


def own_import(role):
    from portal.ofsted import create_import

    user = _org_user(role)
    return user, {"import_id": create_import(b"URN,Registration status\r\n", "own.csv", uploaded_by=user).id}


def own_document():
    def build(role):
        user, org = _provider_user(role)
        return user, {"document_id": factories.document(org).id}
    return build


def own_application(status="submitted", **values):
    def build(role):
        user, org = _provider_user(role)
        return user, {"application_id": factories.application(provider=org, status=status).id, **values}
    return build


def managed_application(role):
    user, council = _council_user(role)
    return user, {"application_id": factories.application(factories.dps(council), status="submitted").id}


def managed_lot(role):
    user, council = _council_user(role)
    return user, {"lot_id": factories.dps(council).lots[0].id}


def managed_provider():
    def build(role):
        user, council = _council_user(role)
        provider = factories.organisation("provider")
        factories.admitted(provider, factories.dps(council))
        return user, {"provider_id": provider.id}
    return build


def _invited(role, status="published", proposal=False):
    user, org = _provider_user(role)
    ref = factories.referral(status=status)
    home = factories.setting(org)
    factories.invite(ref, org, home)
    values = {"referral_id": ref.id}
    if proposal:
        from tendering.models import ProposalRevision
        from tendering.proposals import snapshot

        prop = factories.proposal(ref, org, home)
        db.session.add(ProposalRevision(proposal_id=prop.id, number=1, status=prop.status, content=snapshot(prop)))
        values["number"] = 1
    return user, values


def invited(proposal=False, status="published"):
    return lambda role: _invited(role, status, proposal)


def own_referral(status="draft", **values):
    def build(role):
        user, council = _council_user(role)
        ref = factories.referral(council, status=status)
        return user, {"referral_id": ref.id, **values}
    return build


def _evaluated(reveal: bool):
    """factories.evaluated_referral (fixed emails: one per test), its prices revealed when asked."""
    from flask import current_app

    from portal.core.models import User
    from tendering import award
    from tendering.models import Referral

    ids = current_app.extensions.setdefault("test.evaluated", {})
    if not ids:
        world = factories.evaluated_referral()
        ids.update(referral=world["referral"].id, officer=world["officer"].id)
    ref = db.session.get(Referral, ids["referral"])
    officer = db.session.get(User, ids["officer"])
    if reveal and ref.price_revealed_at is None:
        award.reveal_prices(ref, officer)
    return officer, {"referral_id": ref.id}


def revealed_referral(role):
    return _evaluated(reveal=True)


def evaluated_referral(role):
    return _evaluated(reveal=False)


def closed_referral():
    def build(role):
        officer, council = _council_user("placements_officer")
        ref = factories.referral(council, status="closed", closed_at=utcnow())
        prop = factories.proposal(ref, blind_position=0)
        members = [factories.user("panel_member", org=council), factories.user("panel_member", org=council)]
        factories.panel(ref, *members)
        values = {"referral_id": ref.id, "proposal_id": prop.id, "label": prop.label or "A"}
        return (members[0] if role == "panel_member" else officer), values
    return build


def own_placement(role):
    user, council = _council_user(role)
    return user, {"placement_id": factories.placement(council).id}


def own_feedback_response(role):
    user, council = _council_user(role)
    placement = factories.placement(council)
    return user, {"response_id": factories.feedback_response(placement, comment="The staff are kind.").id}


def visible_meeting(role):
    user, org = _provider_user(role)
    dps = factories.dps()
    factories.admitted(org, dps)
    return user, {"meeting_id": factories.forum_meeting(dps).id}


def own_visit(status="planned"):
    def build(role):
        if role != "qa_officer":
            user, org = _provider_user(role)
            visit = factories.monitoring_visit(factories.setting(org), status=status)
        else:
            user, council = _council_user(role)
            visit = factories.monitoring_visit(council=council, status=status)
        return user, {"visit_id": visit.id}
    return build


def own_action(role):
    user, org = _provider_user(role)
    return user, {"action_id": factories.qa_action(factories.setting(org)).id}


def own_history(role):
    user, org = _provider_user(role)
    return user, {"provider_id": org.id}


def own_compliance_status(role):
    from quality.models import ComplianceStatus

    user, council = _council_user(role)
    provider = factories.organisation("provider")
    factories.admitted(provider, factories.dps(council))
    row = ComplianceStatus(subject_type="provider", subject_id=provider.id, provider_id=provider.id,
                           status="suspended", reasons=[], failing_since={})
    db.session.add(row)
    db.session.flush()
    return user, {"status_id": row.id}


def own_export(role):
    from portal.core.jobs import function_path
    from portal.core.models import JobRun
    from portal.export_views import run_export

    user = _org_user(role)
    run = JobRun(key=f"export:own-{user.id}", function=function_path(run_export), status="queued",
                 args=[user.id, "dps-providers", "csv", "{}", f"own-{user.id}"])
    db.session.add(run)
    db.session.flush()
    return user, {"run_id": run.id}


OWNER_SIDE = {  # every CROSS_ORG endpoint that answers GET
    "core.inbox_message": own_inbox_message,
    "settings.setting": own_setting(),
    "settings.edit": own_setting(),
    "settings.close": own_setting(),
    "settings.vacancy": own_setting(with_vacancy=True),
    "ofsted.imports_detail": own_import,
    "documents.documents_detail": own_document(),
    "documents.documents_download": own_document(),
    "documents.documents_remove": own_document(),
    "applications.applications_detail": own_application(),
    "applications.applications_section": own_application(status="draft", section="organisation"),
    "applications.applications_withdraw": own_application(),
    "dps.applications_detail": managed_application,
    "dps.overview_rename_lot": managed_lot,
    "dps.providers_detail": managed_provider(),
    "invitations.detail": invited(),
    "invitations.decline": invited(),
    "award.outcome": invited(proposal=True),
    "proposals.edit": invited(),
    "proposals.detail": invited(proposal=True),
    "proposals.revision": invited(proposal=True),
    "proposals.withdraw": invited(proposal=True),
    "clarifications.provider_questions": invited(),
    "clarifications.officer_questions": own_referral("published"),
    "distribution.distribution": own_referral("published"),
    "referrals.referrals_detail": own_referral(),
    "referrals.referrals_section": own_referral(section="child"),
    "referrals.referrals_publish": own_referral(),
    "feedback.send": own_placement,
    "feedback.moderate": own_feedback_response,
    "forums.meetings_detail": visible_meeting,
    "award.results": evaluated_referral,
    "award.reveal": evaluated_referral,
    "award.results_csv": revealed_referral,
    "award.results_pdf": revealed_referral,
    "award.results_xlsx": revealed_referral,
    "award.cancel": own_referral("published"),
    "evaluation.proposals": closed_referral(),
    "evaluation.panel": closed_referral(),
    "evaluation.moderation": closed_referral(),
    "evaluation.moderate": closed_referral(),
    "evaluation.lock": closed_referral(),
    "evaluation.audit": closed_referral(),
    "panel.referral": closed_referral(),
    "panel.proposal": closed_referral(),
    "panel.submit": closed_referral(),
    "visits.visits_detail": own_visit(),
    "visits.visits_record": own_visit(),
    "visits.visits_cancel": own_visit(),
    "visits.visits_report": own_visit("report_issued"),
    "visits.visits_report_pdf": own_visit("report_issued"),
    "actions.actions_new_for_visit": own_visit(),
    "actions.actions_detail": own_action,
    "history.history_provider": own_history,
    "returns.submit": own_return,
    "compliance.provider": managed_provider(),
    "compliance.lift": own_compliance_status,
    "table_exports.progress": own_export,
}


def test_every_owner_checked_get_route_has_an_owner_side_case(app):
    with_get = {e for e in CROSS_ORG if "GET" in _methods(_rule(app, e))}
    assert with_get == set(OWNER_SIDE)


def test_the_owning_organisation_is_let_in(app):
    """The same kind of object, in the signed-in user's own organisation, with the role CROSS_ORG names."""
    refused = []
    for endpoint, build in sorted(OWNER_SIDE.items()):
        with app.test_request_context():
            role, _ = CROSS_ORG[endpoint]
            user, values = build(role)
            assert user.has_role(role), endpoint
            email = user.email
            db.commit()
        client = app.test_client()
        assert sign_in(client, email, factories.PASSWORD).status_code == 302
        response = client.get(_url(_rule(app, endpoint), values))
        if response.status_code in (403, 404) or response.status_code >= 500:
            refused.append(f"{endpoint} {_url(_rule(app, endpoint), values)}: {response.status_code}")
    assert not refused, "\n".join(refused)


# --- another organisation's ids: POSTs and downloads answer 404 and nothing changes ----------------------------

SECOND_VALUES = {"section": {"referrals.referrals_section": "child", "applications.applications_section":
                             "organisation"}, "decision": "admit", "label": "A", "number": 1}
FORM = {"reason": "Because", "places_free": "2", "name": "Renamed", "answer": "Yes", "comment": "Changed",
        "decision_reason": "Because", "note": "Done", "response": "Done", "weekly_cost": "1000", "confirm": "yes",
        "email": "someone@example.org", "respondent_type": "child", "proposal": "1", "members": "1"}


def _second_values(endpoint: str, obj) -> dict:
    """Valid values for a rule's other parameters, so a 404 can only come from the object's owner."""
    values = {name: (v.get(endpoint) if isinstance(v, dict) else v) for name, v in SECOND_VALUES.items()}
    from tendering.models import Clarification, Referral

    if isinstance(obj, Referral):
        prop = factories.proposal(obj, blind_position=0)
        question = Clarification(referral_id=obj.id, provider_id=prop.provider_id, question="Is there a garden?")
        db.session.add(question)
        db.session.flush()
        values.update(proposal_id=prop.id, question_id=question.id)
    return values


def _snapshot() -> dict[str, str]:
    """A digest of every row of every table (the audit trail included)."""
    out = {}
    conn = db.session.connection()
    for table in sorted(inspect(conn).get_table_names()):
        rows = conn.execute(text(f"SELECT * FROM {table}")).all()
        out[table] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest() + f" ({len(rows)} rows)"
    return out


def test_posts_and_downloads_aimed_at_another_organisation_are_404_and_change_nothing(app):
    clients, targets = {}, []
    for endpoint in sorted(CROSS_ORG):
        role, make_other = CROSS_ORG[endpoint]
        if role not in clients:
            with app.app_context():
                user = factories.user(role)
                db.commit()
                email = user.email
            client = app.test_client()
            assert sign_in(client, email, factories.PASSWORD).status_code == 302
            clients[role] = (client, csrf_from(client.get("/inbox").get_data(as_text=True)))
        with app.test_request_context():
            obj = make_other(app)
            rule = _rule(app, endpoint)
            first = PARAM.findall(rule.rule)[0]
            values = {first: obj.id, **_second_values(endpoint, obj)}
            db.commit()
        targets.append((endpoint, role, _url(rule, values), _methods(rule)))
    with app.app_context():
        before = _snapshot()
    wrong = []
    for endpoint, role, url, methods in targets:
        client, token = clients[role]
        tries = [("POST", url, {**FORM, "csrf_token": token})] if "POST" in methods else []
        if "GET" in methods:
            tries += [("GET", f"{url}?format={fmt}", None) for fmt in ("csv", "xlsx")]
        for method, where, data in tries:
            response = client.open(where, method=method, data=data)
            if response.status_code != 404:
                wrong.append(f"{method} {where} ({endpoint} as {role}): {response.status_code}")
    with app.app_context():
        after = _snapshot()
    changed = {t: (before.get(t), after[t]) for t in after if before.get(t) != after[t]}
    assert not wrong, "\n".join(wrong)
    assert not changed, f"tables changed by refused requests: {changed}"
    assert sum(1 for *_, m in targets if "POST" in m) >= 30  # the sweep really posted


# --- signed links ------------------------------------------------------------------------------------------------

@pytest.fixture
def provider_with_document(app):
    from portal.core.storage import storage

    with app.test_request_context():
        user = factories.user("provider_staff")
        doc = factories.document(user.organisation)
        storage().put(doc.storage_key, factories.PDF_BYTES, "application/pdf")
        other_doc = factories.document(factories.organisation("provider"))
        storage().put(other_doc.storage_key, b"%PDF-1.4 rival's insurance", "application/pdf")
        db.commit()
        return user.email, doc.id, other_doc.id, other_doc.storage_key


def test_document_links_refuse_other_organisations_tampering_and_expiry(app, provider_with_document):
    email, doc_id, other_id, other_key = provider_with_document
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    with freeze_time(utcnow().replace(tzinfo=None)) as frozen:
        assert client.get(f"/documents/{other_id}/download").status_code == 404  # no link for a rival's file
        link = client.get(f"/documents/{doc_id}/download").headers["Location"]
        assert client.get(link).data == factories.PDF_BYTES
        token = link.rsplit("/", 1)[1]
        payload, stamp, signature = token.rsplit(".", 2)
        raw = base64.urlsafe_b64decode(payload.lstrip(".") + "===")
        body = json.loads(zlib.decompress(raw) if payload.startswith(".") else raw)
        swapped = base64.urlsafe_b64encode(json.dumps({**body, "k": other_key}).encode()).rstrip(b"=").decode()
        forged = link.replace(token, f"{swapped}.{stamp}.{signature}")  # a rival's file under the old signature
        wrong_key = URLSafeTimedSerializer("guessed-secret", salt="homefinder.document-link").dumps(
            {"k": other_key, "f": "rival.pdf", "t": "application/pdf"})
        tampered = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
        for bad in (forged, f"/documents/download/{wrong_key}", tampered, link + "x", "/documents/download/nope"):
            response = client.get(bad)
            assert response.status_code == 410 and b"rival" not in response.data, bad
            assert "not valid" in response.get_data(as_text=True)
        frozen.tick(timedelta(seconds=app.config["DOCUMENT_LINK_SECONDS"] + 1))
        expired = client.get(link)
        assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)


def test_an_export_link_works_only_for_the_user_it_was_made_for(app):
    from portal.core.jobs import function_path
    from portal.core.models import JobRun
    from portal.core.storage import storage
    from portal.export_views import _key, run_export, signed_link

    with app.test_request_context():
        owner, thief = factories.user("dps_manager"), factories.user("dps_manager")
        run = JobRun(key="export:mine", function=function_path(run_export), status="succeeded",
                     args=[owner.id, "dps-providers", "csv", "{}", "mine"])
        db.session.add(run)
        db.session.flush()
        storage().put(_key(owner.id, run.id, "csv"), b"Provider\r\nSecret Ltd\r\n", "text/csv")
        link = signed_link(run)
        db.commit()
        emails = owner.email, thief.email
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine, emails[0], factories.PASSWORD)
    sign_in(theirs, emails[1], factories.PASSWORD)
    assert b"Secret Ltd" in mine.get(link).data
    stolen = theirs.get(link)
    assert stolen.status_code == 404 and b"Secret Ltd" not in stolen.data
    assert mine.get(link[:-3] + "xyz").status_code == 410


@pytest.fixture
def feedback_token(app):
    from quality import feedback

    with app.test_request_context():
        officer = factories.user("qa_officer")
        placement = factories.placement(officer.organisation)
        _request, token = feedback.send_request(officer, placement, "child", "child@example.org")
        db.commit()
        return token


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("xx" if not t.endswith("xx") else "yy"),
                                    lambda t: t + "a", lambda t: t[:10], lambda t: t.upper()],
                         ids=["changed", "longer", "cut", "case"])
def test_a_tampered_feedback_link_gets_a_friendly_page_for_get_and_post(app, feedback_token, mangle):
    client = app.test_client()
    form = client.get(f"/feedback/{feedback_token}")  # the respondent opened the real form: a valid CSRF token
    assert form.status_code == 200
    data = {"comment": "x", "csrf_token": csrf_from(form.get_data(as_text=True))}
    bad = mangle(feedback_token)
    for response in (client.get(f"/feedback/{bad}"), client.post(f"/feedback/{bad}", data=data)):
        page = response.get_data(as_text=True)
        assert response.status_code == 410 and "This link does not work" in page and "Childline" in page


def test_an_expired_feedback_link_gets_a_friendly_page_for_get_and_post(app, feedback_token):
    client = app.test_client()
    data = {"comment": "x", "csrf_token": csrf_from(client.get(f"/feedback/{feedback_token}").get_data(as_text=True))}
    with freeze_time(utcnow().replace(tzinfo=None) + timedelta(days=29)):
        for response in (client.get(f"/feedback/{feedback_token}"),
                         client.post(f"/feedback/{feedback_token}", data=data)):
            assert response.status_code == 410 and "stopped working" in response.get_data(as_text=True)
    with app.app_context():
        from quality.models import FeedbackResponse
        assert db.session.scalar(select(FeedbackResponse.id)) is None
