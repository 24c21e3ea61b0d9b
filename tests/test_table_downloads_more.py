"""More tables download as CSV and XLSX (issue 6 item 2): quality lists, admin jobs and outbox, the inbox,
organisation users, Ofsted imports, evaluation moderation and audit, the panel's and the provider's lists.
Each download has exactly the rows and columns the page shows that user."""
from __future__ import annotations

from portal.core import audit, db
from tests import factories
from tests.test_table_downloads import as_csv, as_xlsx, client_for


def test_actions_download_is_the_councils_own_with_the_filter(app):
    with app.app_context():
        officer = factories.user("qa_officer")
        council = officer.organisation
        home = factories.setting(factories.organisation("provider", "Acorn Care"), name="Oak House")
        factories.qa_action(home, council, description="=Fix the fire door", priority="high")
        factories.qa_action(home, council, status="closed", description="Closed one")
        factories.qa_action(description="Another council's action")
        provider = factories.user("provider_admin", org=home.provider)
        db.commit()
        email, provider_email = officer.email, provider.email
    client = client_for(app, email)
    assert "Download CSV" in client.get("/quality/actions").get_data(as_text=True)
    rows = as_csv(client.get("/quality/actions?format=csv"))
    assert rows[0] == ["Action", "Home", "Provider", "Priority", "Due", "Status"]
    assert rows[1:] == [["'=Fix the fire door", "Oak House", "Acorn Care", "High", "2026-06-01", rows[1][5]]]
    everything = as_csv(client.get("/quality/actions?status=all&format=csv"))
    assert sorted(r[0] for r in everything[1:]) == ["'=Fix the fire door", "Closed one"]
    sheet = as_xlsx(client.get("/quality/actions?status=all&format=xlsx"))
    assert sheet[0][0] == "Action" and len(sheet) == 3
    # the provider sees its own actions, without the provider column
    provider_rows = as_csv(client_for(app, provider_email).get("/quality/actions?status=all&format=csv"))
    assert provider_rows[0] == ["Action", "Home", "Priority", "Due", "Status"]
    assert len(provider_rows) == 3 and "Another council" not in str(provider_rows)


def test_compliance_dashboard_list_downloads_only_this_councils_dps_providers(app):
    from quality.models import ComplianceStatus

    with app.app_context():
        d = factories.dps()
        officer = factories.user("qa_officer", org=d.councils[0])
        mine = factories.organisation("provider", "Acorn Care")
        factories.admitted(mine, d)
        theirs = factories.organisation("provider", "Other Consortium Ltd")
        factories.admitted(theirs, factories.dps())
        for provider in (mine, theirs):
            db.session.add(ComplianceStatus(subject_type="provider", subject_id=provider.id, provider_id=provider.id,
                                            status="suspended", failing_since={},
                                            reasons=[{"rule": "x", "status": "suspended", "reason": "No insurance"}]))
        db.commit()
        email = officer.email
    client = client_for(app, email)
    page = client.get("/compliance").get_data(as_text=True)
    assert "Download CSV" in page and "Other Consortium" not in page
    rows = as_csv(client.get("/compliance?format=csv"))
    assert rows == [["Provider or home", "Type", "Provider", "Status", "Reasons"],
                    ["Acorn Care", "Provider", "Acorn Care", "Suspended", "No insurance"]]
    assert as_csv(client.get("/compliance?status=compliant&format=csv"))[1:] == []
    assert len(as_xlsx(client.get("/compliance?format=xlsx"))) == 2


def test_audit_trail_download_before_the_deadline_is_sealed_like_the_page(app):
    with app.app_context():
        d = factories.dps()
        officer = factories.user("placements_officer", org=d.councils[0])
        referral = factories.referral(d.councils[0], dps_obj=d, status="published")
        provider = factories.organisation("provider", "Acorn Care")
        bidder = factories.user("provider_admin", org=provider, name="Bidder Person")
        proposal = factories.proposal(referral, provider, blind_position=None)
        audit.record("proposal.submitted", "proposal", proposal.id, actor=bidder,
                     after={"status": "submitted", "revision": 1, "core_fee_pence": 987654,
                            "staffing": "Secret staffing plan"})
        audit.record("referral.published", "referral", referral.id, actor=officer, after={"status": "published"})
        stranger = factories.user("placements_officer")
        db.commit()
        email, referral_id, stranger_email = officer.email, referral.id, stranger.email
    client = client_for(app, email)
    page = client.get(f"/referrals/{referral_id}/audit").get_data(as_text=True)
    assert "Download CSV" in page
    response = client.get(f"/referrals/{referral_id}/audit?format=csv")
    text = response.get_data(as_text=True)
    rows = as_csv(response)
    assert rows[0] == ["When", "Who", "Organisation", "What", "Object", "Before", "After"]
    sealed = next(r for r in rows[1:] if r[3].startswith("Proposal"))
    assert sealed[1] == "A provider" and sealed[2] == "" and sealed[4] == "Proposal"
    for secret in ("Acorn", "Bidder", "987654", "Secret staffing"):
        assert secret not in text and secret not in page
    assert "Acorn" not in str(as_xlsx(client.get(f"/referrals/{referral_id}/audit?format=xlsx")))
    assert client_for(app, stranger_email).get(f"/referrals/{referral_id}/audit?format=csv").status_code == 404


def test_moderation_download_is_blind_and_empty_while_sealed(app):
    with app.app_context():
        d = factories.dps()
        officer = factories.user("placements_officer", org=d.councils[0])
        member = factories.user("panel_member", org=d.councils[0], name="Pat Panel")
        referral = factories.referral(d.councils[0], dps_obj=d, status="closed")
        proposal = factories.proposal(referral, factories.organisation("provider", "Acorn Care"))
        factories.panel(referral, member)
        factories.scores(proposal, member, 3)
        db.commit()
        email, referral_id = officer.email, referral.id
    client = client_for(app, email)
    response = client.get(f"/referrals/{referral_id}/moderation?format=csv")
    rows = as_csv(response)
    assert rows[0][:5] == ["Proposal", "Outcome", "Disagreement", "Pat Panel: score", "Pat Panel: reason"]
    assert rows[1][0].startswith("Proposal ") and rows[1][3] == "3" and rows[1][-2:] == ["", "Not moderated"]
    assert "Acorn" not in response.get_data(as_text=True) and "4500" not in response.get_data(as_text=True)


def test_panel_referral_list_has_no_providers_or_prices(app):
    with app.app_context():
        d = factories.dps()
        member = factories.user("panel_member", org=d.councils[0])
        referral = factories.referral(d.councils[0], dps_obj=d, status="closed")
        factories.proposal(referral, factories.organisation("provider", "Acorn Care"))
        factories.panel(referral, member)
        other = factories.referral(d.councils[0], dps_obj=d, status="closed")  # not on this panel
        stranger = factories.user("panel_member")
        db.commit()
        email, referral_id, other_id, stranger_email = member.email, referral.id, other.id, stranger.email
    client = client_for(app, email)
    assert "Download CSV" in client.get("/panel").get_data(as_text=True)
    response = client.get("/panel?format=csv")
    rows = as_csv(response)
    assert rows[0] == ["Referral", "Lot", "Response deadline", "Status", "Your scores"]
    assert [r[0] for r in rows[1:]] == [str(referral_id)] and rows[1][4] == "Not submitted"
    assert str(other_id) not in {r[0] for r in rows[1:]}
    detail = client.get(f"/panel/{referral_id}?format=csv")
    text = response.get_data(as_text=True) + detail.get_data(as_text=True)
    assert as_csv(detail)[0] == ["Proposal", "Outcomes you have scored", "Outcomes"]
    for secret in ("Acorn", "4500", "450000", "650000"):
        assert secret not in text
    assert isinstance(as_xlsx(client.get("/panel?format=xlsx"))[1][0], int)
    stranger = client_for(app, stranger_email)
    assert as_csv(stranger.get("/panel?format=csv"))[1:] == []
    assert stranger.get(f"/panel/{referral_id}?format=csv").status_code == 404


def test_admin_jobs_and_outbox_download_for_system_admin_only(app):
    from portal.core.models import EmailMessage, JobRun

    with app.app_context():
        admin = factories.user("system_admin", org=factories.organisation("operator"))
        db.session.add(JobRun(key="demo:1", function="portal.jobs:send_reminders", status="failed", attempts=3,
                              max_attempts=3, last_error="boom", args=[]))
        db.session.add(JobRun(key="demo:2", function="portal.jobs:other", status="succeeded", args=[]))
        provider = factories.user("provider_admin")
        db.commit()
        email, provider_email = admin.email, provider.email
    client = client_for(app, email)
    assert "Download CSV" in client.get("/admin/jobs").get_data(as_text=True)
    rows = as_csv(client.get("/admin/jobs?status=failed&format=csv"))
    assert rows[0] == ["Job", "Key", "Status", "Attempts", "Maximum attempts", "Last error"]
    assert [r for r in rows[1:] if r[1] == "demo:1"] == [["send_reminders", "demo:1", "Failed", "3", "3", "boom"]]
    assert "demo:2" not in {r[1] for r in rows[1:]}
    sheet = as_xlsx(client.get("/admin/jobs?format=xlsx"))
    assert {"demo:1", "demo:2"} <= {r[1] for r in sheet[1:]}
    outbox = as_csv(client.get("/admin/outbox?format=csv"))
    assert outbox[0] == ["To", "Subject", "Kind", "Sent"]
    assert EmailMessage  # the outbox table holds only transport == "outbox" rows, as on the page
    other = client_for(app, provider_email)
    for path in ("/admin/jobs?format=csv", "/admin/outbox?format=csv"):
        assert other.get(path).status_code in (403, 404)


def test_inbox_download_is_only_my_messages_across_pages(app):
    from portal.core.models import InboxMessage

    with app.app_context():
        me, someone = factories.user("provider_admin"), factories.user("provider_admin")
        for n in range(55):  # more than one page
            db.session.add(InboxMessage(key=f"mine-{me.id}-{n}", user_id=me.id, kind="demo", subject=f"Mine {n}",
                                        body_text="x"))
        db.session.add(InboxMessage(key=f"theirs-{someone.id}", user_id=someone.id, kind="demo",
                                    subject="Not yours", body_text="x"))
        db.commit()
        email = me.email
    client = client_for(app, email)
    assert "Download XLSX" in client.get("/inbox").get_data(as_text=True)
    rows = as_csv(client.get("/inbox?format=csv&page=2"))
    assert rows[0] == ["Message", "Received", "Status"]
    assert len(rows) == 56 and "Not yours" not in {r[0] for r in rows} and rows[1][2] == "New"
    assert rows[1][1][4] == "-"  # ISO timestamp
    assert len(as_xlsx(client.get("/inbox?format=xlsx"))) == 56


def test_users_invitations_and_returns_download_only_the_organisations_own(app):
    with app.app_context():
        admin = factories.user("provider_admin", name="Ada Admin")
        factories.user("provider_staff", org=admin.organisation, name="Sam Staff")
        factories.user("provider_admin", name="Someone Elsewhere")
        referral = factories.referral(status="published")
        factories.invite(referral, admin.organisation, factories.setting(admin.organisation, name="Oak House"))
        factories.referral(status="published")  # not invited
        db.commit()
        email, referral_id = admin.email, referral.id
    client = client_for(app, email)
    users = as_csv(client.get("/organisation/users?format=csv"))
    assert users[0] == ["Name", "Email", "Roles", "Status"]
    assert sorted(r[0] for r in users[1:]) == ["Ada Admin", "Sam Staff"]
    invitations = as_csv(client.get("/invitations?format=csv"))
    assert invitations[0] == ["Referral", "Kind of home", "Age", "Respond by", "State"]
    assert [r[0] for r in invitations[1:]] == [str(referral_id)] and invitations[1][2] == "15"
    assert "LCS-123456" not in str(invitations) and "650000" not in str(invitations)
    returns = as_csv(client.get("/returns?format=csv"))
    assert returns[0][0] == "Home" and [r[0] for r in returns[1:]] == ["Oak House"]


def test_unknown_format_is_400_on_the_new_tables(app):
    with app.app_context():
        officer = factories.user("qa_officer")
        db.commit()
        email = officer.email
    client = client_for(app, email)
    for path in ("/quality/actions", "/quality/visits", "/quality/visits/overdue", "/quality/visits/upcoming",
                 "/compliance", "/returns/overdue", "/feedback/moderation", "/inbox"):
        assert client.get(path + "?format=pdf").status_code == 400, path
        assert client.get(path + "?format=csv").status_code == 200, path


def test_dps_manager_tables_download(app):
    with app.app_context():
        d = factories.dps()
        manager = factories.user("dps_manager", org=d.councils[0])
        db.commit()
        email = manager.email
    client = client_for(app, email)
    assert as_csv(client.get("/dps/ofsted-imports?format=csv"))[0][:3] == ["File", "Uploaded", "Uploaded by"]
    assert as_csv(client.get("/returns/overdue?format=csv"))[0] == ["Provider", "Home", "Month", "Was due"]
    assert as_csv(client.get("/forums/meetings?format=csv"))[0] == ["Meeting", "When", "Where", "Minutes"]
