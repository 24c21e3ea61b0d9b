"""The remaining quality tables download as CSV and XLSX (issue 6 item 2): a provider's quality history
(three tables), the providers list, the standards, compliance summaries and a provider's compliance, the
feedback overview and the provider forum. Small-number suppression holds in the files exactly as on the page."""
from __future__ import annotations

from datetime import datetime, timezone

from portal.core import db
from quality import forums
from tests import factories
from tests.test_forums import market  # noqa: F401 (a fixture)
from tests.test_table_downloads import as_csv, as_xlsx, client_for


def test_quality_history_downloads_keep_the_fewer_than_5_rule_and_the_providers_own_view(app):
    with app.app_context():
        council = factories.organisation("council")
        provider = factories.organisation("provider", "Acorn Care")
        admin = factories.user("provider_admin", org=provider)
        outsider = factories.user("provider_admin")
        home = factories.setting(provider, name="Oak House")
        factories.monitoring_visit(home, council, status="report_issued")
        factories.monitoring_visit(home, council, status="planned")  # a provider does not see this yet
        placement = factories.placement(council, home)
        for n, when in ((3, datetime(2025, 2, 1, tzinfo=timezone.utc)), (5, datetime(2025, 8, 1, tzinfo=timezone.utc))):
            for _ in range(n):
                factories.feedback_response(placement, scores=4, submitted_at=when)
        db.commit()
        email, outsider_email, url = admin.email, outsider.email, f"/quality/providers/{provider.id}/history"
    client = client_for(app, email)
    page = client.get(url).get_data(as_text=True)
    assert page.count("Download CSV") == 3 and "Fewer than 5" in page
    feedback = as_csv(client.get(f"{url}?format=csv&table=feedback"))
    assert feedback == [["Quarter", "Responses", "Average score"], ["2025 Q1", "Fewer than 5", "Not shown"],
                        ["2025 Q3", "5", "4.0"]]
    sheet = as_xlsx(client.get(f"{url}?format=xlsx&table=feedback"))
    assert sheet[2][1:] == [5, 4] and sheet[1][1:] == ["Fewer than 5", "Not shown"]
    visits = as_csv(client.get(f"{url}?format=csv&table=visits"))
    assert visits[0] == ["Date", "Home", "Kind", "Judgement", "Status"] and len(visits) == 2
    assert visits[1][0] == "2026-03-02" and visits[1][3] == "Good"
    homes = as_csv(client.get(f"{url}?format=csv&table=homes"))
    assert homes[0] == ["Home", "Closed", "Ofsted rating", "Next QA visit due", "Overdue"]
    assert homes[1][:3] == ["Oak House", "no", "Good"]
    assert client_for(app, outsider_email).get(f"{url}?format=csv&table=feedback").status_code == 404


def test_providers_list_and_standards_download_for_a_qa_officer(app):
    from sqlalchemy import func, select

    from quality.models import QualityStandard

    with app.app_context():
        factories.quality_standards()
        officer = factories.user("qa_officer")
        provider = factories.organisation("provider", "Acorn Care")
        factories.setting(provider)
        factories.setting(provider)
        db.commit()
        email, standards = officer.email, db.session.scalar(select(func.count()).select_from(QualityStandard))
    client = client_for(app, email)
    rows = as_xlsx(client.get("/quality/providers?format=xlsx"))
    assert rows[0] == ["Provider", "Open homes"] and ["Acorn Care", 2] in rows
    assert "Download CSV" in client.get("/quality/standards").get_data(as_text=True)
    listed = as_csv(client.get("/quality/standards?format=csv"))
    assert listed[0] == ["Framework", "Standard", "Status"] and len(listed) == standards + 1 > 1
    assert client_for(app, factories_user_email(app, "provider_admin")).get(
        "/quality/standards?format=csv").status_code in (403, 404)


def factories_user_email(app, role):
    with app.app_context():
        person = factories.user(role)
        db.commit()
        return person.email


def test_compliance_summaries_and_a_providers_compliance_download(app):
    from quality.models import ComplianceChange, ComplianceStatus

    with app.app_context():
        d = factories.dps(name="Mine")
        officer = factories.user("qa_officer", org=d.councils[0])
        mine = factories.organisation("provider", "Acorn Care")
        factories.admitted(mine, d)
        admin = factories.user("provider_admin", org=mine)
        home = factories.setting(mine, name="Oak House")
        theirs = factories.organisation("provider", "Other Consortium Ltd")
        factories.admitted(theirs, factories.dps())
        for provider in (mine, theirs):
            db.session.add(ComplianceStatus(subject_type="provider", subject_id=provider.id, provider_id=provider.id,
                                            status="suspended", failing_since={},
                                            reasons=[{"rule": "x", "status": "suspended", "reason": "No insurance"}]))
        db.session.add(ComplianceChange(subject_type="setting", subject_id=home.id, provider_id=mine.id,
                                        from_status=None, to_status="warning",
                                        reasons=[{"rule": "y", "reason": "Return late"}]))
        db.commit()
        email, admin_email = officer.email, admin.email
    client = client_for(app, email)
    page = client.get("/compliance").get_data(as_text=True)
    assert page.count("Download CSV") == 3
    by_status = as_xlsx(client.get("/compliance?format=xlsx&table=status"))
    assert by_status[0] == ["Status", "Providers", "Homes"]
    assert [r for r in by_status if r[0] == "Suspended"] == [["Suspended", 1, 0]]  # not the other consortium's
    by_lot = as_csv(client.get("/compliance?format=csv&table=lots"))
    assert by_lot[0][:3] == ["DPS", "Lot", "Compliant"] and by_lot[1][0] == "Mine" and "1" in by_lot[1]
    assert client.get("/compliance?table=lots").status_code == 200  # the page, not a file
    provider_client = client_for(app, admin_email)
    history = as_csv(provider_client.get("/compliance/mine?format=csv&table=history"))
    assert history[0] == ["When", "What", "From", "To", "Reasons"]
    assert history[1][1:] == ["Oak House", "Not assessed", "Warning", "Return late"]
    assert as_csv(provider_client.get("/compliance/mine?format=csv&table=homes"))[1][0] == "Oak House"


def test_feedback_overview_downloads_the_councils_own_placements_and_links(app):
    with app.app_context():
        council = factories.organisation("council")
        officer = factories.user("qa_officer", org=council)
        placement = factories.placement(council, factories.setting(factories.organisation("provider"), name="Oak"))
        factories.feedback_response(placement)
        factories.placement(factories.organisation("council"))  # another council's
        db.commit()
        email, code, start = officer.email, placement.code, placement.start_date
    client = client_for(app, email)
    assert client.get("/feedback").get_data(as_text=True).count("Download CSV") == 2
    placements = as_csv(client.get("/feedback?format=csv&table=placements"))
    assert placements == [["Placement", "Home", "Started"], [code, "Oak", start.isoformat()]]
    links = as_csv(client.get("/feedback?format=csv&table=links"))
    assert links[0] == ["Sent", "Placement", "To", "Status"]
    assert links[1][1:] == [code, "Child or young person", "Answered"]
    assert "someone@example.org" not in str(links)


def test_forum_downloads_show_no_figure_from_fewer_than_5_responses(app, market):  # noqa: F811
    client = client_for(app, market["admin"])
    page = client.get("/forums").get_data(as_text=True)
    assert page.count("Download CSV") == 2
    for query in ("", "&kind=independent_fostering", "&respondent=carer"):
        rows = as_csv(client.get(f"/forums?format=csv&table=themes{query}"))
        assert rows[0] == ["Kind of home", "Responses", "Theme", "Mean score", "Median"]
        for kind, responses, theme, mean, median in rows[1:]:
            if responses == forums.SUPPRESSED:
                assert mean == median == forums.SUPPRESSED
            else:
                assert int(responses) >= forums.MIN_GROUP and float(mean) and float(median)
    rows = as_csv(client.get("/forums?format=csv&table=themes"))
    suppressed = {r[0] for r in rows[1:] if r[1] == forums.SUPPRESSED}
    assert "Independent fostering agency" in suppressed  # 3 responses: the page shows none of its figures
    assert ["Supported accommodation (16 to 17)", "9"] in [r[:2] for r in rows]  # 9 responses: shown
    shown = [r for r in as_xlsx(client.get("/forums?format=xlsx&table=themes"))[1:] if r[1] != forums.SUPPRESSED]
    assert shown and all(isinstance(r[1], int) and isinstance(r[3], (int, float)) for r in shown)
    comparison = as_csv(client.get("/forums?format=csv&table=comparison"))
    assert comparison[0] == ["Theme", "Your mean score", "Your median", "Market median"]
    assert comparison[-1][0] == "Responses" and "Kind carers" not in str(comparison)
