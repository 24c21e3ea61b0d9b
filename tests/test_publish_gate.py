"""Publishing a referral: the anonymisation gate names every finding with its field; nothing changes when
publishing is refused; a clean, complete referral is published and distributed."""
from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import AuditEvent
from tendering.models import Referral, ReferralProvider
from tendering.services import publish_problems
from tests import factories
from tests.conftest import sign_in, submit

FINDINGS = [  # (field, text, the field's label, the expected message)
    ("what_matters", "Jayden loves football", "What matters to me", 'Remove the name "Jayden"'),
    ("cultural_needs", "Family near SE6 4RU", "Cultural needs", 'Remove the full postcode "SE6 4RU"'),
    ("language_needs", "Call 07700 900123 for help", "Language needs", 'Remove the phone number "07700 900123"'),
    ("religious_needs", "Ask jay@example.com", "Religious needs", 'Remove the email address "jay@example.com"'),
    ("outcome_be_healthy", "Born 12/03/2011", "Outcomes: Be healthy", 'Remove the date "12/03/2011"'),
    ("outcome_stay_safe", "NHS 943 476 5919", "Outcomes: Stay safe", 'Remove the NHS number "943 476 5919"'),
    ("education_notes", "NI AB 12 34 56 C", "Education notes",
     'Remove the National Insurance number "AB 12 34 56 C"'),
    ("outcome_economic_wellbeing", "See case LCS-123456", "Outcomes: Achieve economic well-being",
     'Remove the case reference "LCS-123456"'),
    ("education_notes", "Attends Forest Hill School", "Education notes",
     'Remove the name of the school "Forest Hill School"'),
]


def _setup(app, **fields):
    with app.app_context():
        council = factories.organisation("council", name="Lewisham")
        dps = factories.dps(council)
        officer = factories.user("placements_officer", org=council)
        referral = factories.referral(council, dps_obj=dps, **fields)
        db.commit()
        client = app.test_client()
        assert sign_in(client, officer.email, factories.PASSWORD).status_code == 302
        return client, referral.id


def _publish(client, rid):
    return submit(client, f"/referrals/{rid}/publish", {})


def _audit_count(rid) -> int:
    """Changes audited for the referral (views of its pages are audited too, but change nothing)."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "referral", AuditEvent.object_id == str(rid), AuditEvent.action != "referral.viewed"))


@pytest.mark.parametrize("field, text, label, message", FINDINGS, ids=[f[1] for f in FINDINGS])
def test_each_kind_of_finding_blocks_publishing_and_names_its_field(app, field, text, label, message):
    client, rid = _setup(app, **{field: text})
    response = _publish(client, rid)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "There is a problem" in page and f"{label}: {message}" in page
    assert f"/referrals/{rid}/sections/" in page  # each finding links to the section that fixes it
    with app.app_context():
        referral = db.session.get(Referral, rid)
        assert referral.status == "draft" and referral.published_at is None
        assert _audit_count(rid) == 0
        assert db.session.scalar(select(func.count()).select_from(ReferralProvider)) == 0


def test_every_finding_is_listed_and_internal_fields_are_not_scanned(app):
    client, rid = _setup(app, what_matters="Jayden and Kayla miss home", education_notes="Call 07700 900123",
                         case_reference="LCS-999", internal_notes="Jayden, SE6 4RU, born 12/03/2011")
    page = html.unescape(_publish(client, rid).get_data(as_text=True))
    assert 'What matters to me: Remove the name "Jayden"' in page
    assert 'What matters to me: Remove the name "Kayla"' in page
    assert 'Education notes: Remove the phone number "07700 900123"' in page
    assert "Remove the date" not in page and "Remove the full postcode" not in page
    assert "publish anyway" not in page.lower()


def test_incomplete_sections_and_a_past_deadline_are_refused(app):
    client, rid = _setup(app, what_matters=None, response_deadline=utcnow() - timedelta(seconds=1),
                         clarification_cutoff=utcnow() - timedelta(days=1))
    response = _publish(client, rid)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Complete the section 'What matters to me'" in page
    assert "The response deadline has passed" in page
    with app.app_context():
        assert db.session.get(Referral, rid).status == "draft" and _audit_count(rid) == 0


def test_check_page_shows_the_answers_and_a_publish_button(app):
    client, rid = _setup(app)
    page = client.get(f"/referrals/{rid}/publish").get_data(as_text=True)
    assert "Publish referral" in page and "Internal only" in page and "LCS-123456" in page
    assert "There is a problem" not in page


def test_a_clean_referral_is_published_and_distributed(app):
    client, rid = _setup(app)
    with app.app_context():
        referral = db.session.get(Referral, rid)
        assert publish_problems(referral) == []
        provider = factories.organisation("provider", name="Oakfield Care")
        factories.user("provider_admin", org=provider)
        factories.admitted(provider, referral.dps)
        factories.vacancy(factories.setting(provider, district="SE6"))
        db.commit()
    response = _publish(client, rid)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Referral published to" in page and "Open for proposals" in page
    with app.app_context():
        referral = db.session.get(Referral, rid)
        assert referral.status == "published" and referral.published_at is not None
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "referral", AuditEvent.object_id == str(rid))).all()
        assert "referral.published" in actions
        from importlib.util import find_spec

        if find_spec("tendering.distribution") is not None:
            rows = db.session.scalars(select(ReferralProvider).where(ReferralProvider.referral_id == rid)).all()
            assert [r.provider_id for r in rows] == [provider.id]
    # Published: no longer editable, cannot be published twice.
    assert client.get(f"/referrals/{rid}/publish").status_code == 302
