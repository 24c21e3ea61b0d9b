"""DESIGN.md, Audit: every view of a child-related record is recorded — who, which organisation, which page."""
from __future__ import annotations

from sqlalchemy import select

from portal.core import db
from portal.core.models import AuditEvent
from tests import factories
from tests.conftest import sign_in


def _views(referral_id):
    return [(e.actor_id, e.organisation_id, e.after["page"]) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.viewed", AuditEvent.object_id == str(referral_id))
        .order_by(AuditEvent.id))]


class _Who:
    def __init__(self, user):
        self.id, self.email, self.organisation_id = user.id, user.email, user.organisation_id


def _client(app, user):
    client = app.test_client()
    assert sign_in(client, user.email, factories.PASSWORD).status_code == 302
    return client


def test_officer_and_invited_provider_views_are_recorded_but_refusals_are_not(app):
    with app.app_context():
        officer = factories.user("placements_officer")
        referral = factories.referral(officer.organisation, status="published")
        provider = factories.organisation("provider")
        factories.invite(referral, provider, factories.setting(provider))
        staff = factories.user("provider_staff", org=provider)
        outsider = factories.user("provider_staff")
        db.commit()
        officer, staff, outsider = (_Who(u) for u in (officer, staff, outsider))
        referral_id, provider_id = referral.id, provider.id

    assert _client(app, officer).get(f"/referrals/{referral_id}").status_code == 200
    assert _client(app, staff).get(f"/invitations/{referral_id}").status_code == 200
    assert _client(app, outsider).get(f"/invitations/{referral_id}").status_code == 404
    assert _client(app, officer).get("/referrals").status_code == 200  # a list is not the record

    with app.app_context():
        assert _views(referral_id) == [(officer.id, officer.organisation_id, "referrals.referrals_detail"),
                                       (staff.id, provider_id, "invitations.detail")]
