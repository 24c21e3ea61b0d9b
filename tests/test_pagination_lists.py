"""Pagination everywhere a list can grow (issue #8 item 3): each list page shows 50 rows a page with GOV.UK
Previous / Next links that keep its filters, counts and summaries count every row, a download (CSV) still has
every row, and ?page= beyond the end, not a number or below 1 never fails.

Rows are inserted in bulk (one INSERT per table) so the whole file stays quick."""
from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from portal.core import db
from portal.core.models import AuditEvent, JobRun, Organisation, User
from portal.models import DpsApplication, OfstedImport, Setting
from quality.models import (ComplianceChange, ComplianceStatus, FeedbackRequest, FeedbackResponse, ForumMeeting,
                            MonitoringVisit, QaAction)
from tendering.models import PanelAssignment, ReferralProvider
from tests import factories
from tests.conftest import sign_in

SIZE = 50
MORE = 55  # rows made for most pages: one full page and 5 on the next
LONG_AGO = datetime(2020, 1, 6, 9, tzinfo=timezone.utc)
BATCH = itertools.count(1)
TBODY = re.compile(r'<tbody class="govuk-table__body">(.*?)</tbody>', re.S)


@dataclass
class Case:
    email: str
    url: str  # the page, with its filters (and no page argument)
    total: int
    table: int | None = 0  # which table on the page is paged (None: every table, as on the upcoming schedule)
    page_arg: str = "page"
    download: str | None = ""  # the download's extra arguments (e.g. "table=homes&"); None: no download
    summaries: list[str] = field(default_factory=list)  # text that must show on every page (counts of all rows)
    label: str = "Pagination"  # the paged table's navigation landmark (pages with two paged tables name each)


def rows_in(html: str, table: int | None) -> int:
    bodies = TBODY.findall(html)
    chosen = bodies if table is None else [bodies[table]] if bodies else []
    return sum(body.count('<tr class="govuk-table__row">') for body in chosen)


def nav(html: str, label: str) -> str:
    """The pagination landmark with this label ("" when the page has none)."""
    found = re.search(r'<nav class="govuk-pagination[^"]*" aria-label="%s">(.*?)</nav>' % re.escape(label), html, re.S)
    return found.group(1) if found else ""


def url(case: Case, page, extra: str = "") -> str:
    joiner = "&" if "?" in case.url else "?"
    return f"{case.url}{joiner}{extra}{case.page_arg}={page}" if page is not None else \
        (f"{case.url}{joiner}{extra}".rstrip("?&"))


def check(client, case: Case) -> None:
    assert case.total > SIZE
    first = client.get(url(case, None))
    assert first.status_code == 200, case.url
    html = first.get_data(as_text=True)
    assert rows_in(html, case.table) == SIZE, case.url
    links = nav(html, case.label)
    assert "govuk-pagination__next" in links and "Next" in links
    nxt = re.search(r'govuk-pagination__next">\s*<a class="govuk-link govuk-pagination__link" href="([^"]+)"', links)
    assert nxt and f"{case.page_arg}=2" in nxt.group(1).replace("&amp;", "&"), case.url
    for text in case.summaries:
        assert text in html, (case.url, text)

    second = client.get(nxt.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert rows_in(second, case.table) == case.total - SIZE, case.url
    links = nav(second, case.label)
    assert "govuk-pagination__prev" in links and "govuk-pagination__next" not in links
    for text in case.summaries:
        assert text in second, (case.url, text)

    beyond = client.get(url(case, 999))
    assert beyond.status_code == 200
    assert rows_in(beyond.get_data(as_text=True), case.table) == case.total - SIZE  # the last page
    for bad in ("abc", "-1", "0", ""):
        response = client.get(url(case, bad))
        assert response.status_code == 200, (case.url, bad)
        assert rows_in(response.get_data(as_text=True), case.table) == SIZE, (case.url, bad)

    if case.download is not None:
        joiner = "&" if "?" in case.url else "?"
        response = client.get(f"{case.url}{joiner}{case.download}format=csv&{case.page_arg}=2")
        assert response.status_code == 200 and response.mimetype == "text/csv", case.url
        data = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert len(data) - 1 == case.total, case.url  # every row, whatever the page


def signed_in(app, email: str):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def bulk(model, rows: list[dict]) -> None:
    db.session.execute(insert(model), rows)


def providers(n: int, prefix: str = "Provider") -> list[int]:
    bulk(Organisation, [{"name": f"{prefix} {i:03d}", "kind": "provider"} for i in range(n)])
    return list(db.session.scalars(select(Organisation.id).where(Organisation.name.like(f"{prefix} %"))
                                   .order_by(Organisation.id)))


def homes(provider_id: int, n: int, **fields) -> list[int]:
    tag = f"P{provider_id}H{next(BATCH)}"
    values = dict(kind="childrens_home", registered_places=4, postcode="SE6 4RU", district="SE6",
                  overall_effectiveness="Good", status="open")
    values.update(fields)
    bulk(Setting, [{"provider_id": provider_id, "name": f"{tag} {i:03d}", "urn": f"{tag}-{i:03d}"[-12:], **values}
                   for i in range(n)])
    return list(db.session.scalars(select(Setting.id).where(Setting.provider_id == provider_id,
                                                            Setting.name.like(f"{tag} %")).order_by(Setting.id)))


def council_market():
    """A council with a DPS and one provider admitted to it."""
    council = factories.organisation("council")
    dps = factories.dps(council)
    provider = factories.organisation("provider")
    factories.admitted(provider, dps)
    return council, dps, provider


# --- quality ---------------------------------------------------------------------------------------

def visits_list(app):
    council, _dps, provider = council_market()
    setting = factories.setting(provider)
    bulk(MonitoringVisit, [{"setting_id": setting.id, "provider_id": provider.id, "council_id": council.id,
                            "kind": "planned", "status": "planned", "planned_for": date(2026, 1, 1) + timedelta(i)}
                           for i in range(MORE)])
    return Case(factories.user("qa_officer", org=council).email, "/quality/visits", MORE,
                summaries=[f">{MORE}</span>visits planned"])


def visits_list_filtered(app):
    case = visits_list(app)
    case.url = "/quality/visits?status=planned"
    return case


def visits_overdue(app):
    council, _dps, provider = council_market()
    homes(provider.id, MORE, created_at=LONG_AGO)
    return Case(factories.user("qa_officer", org=council).email, "/quality/visits/overdue", MORE,
                summaries=[f"{MORE} homes overdue for a visit"])


def visits_upcoming(app):
    council, _dps, provider = council_market()
    homes(provider.id, MORE, created_at=datetime.now(timezone.utc) - timedelta(days=20), overall_effectiveness=None)
    return Case(factories.user("qa_officer", org=council).email, "/quality/visits/upcoming", MORE, table=None,
                summaries=[f"{MORE} homes"])


def actions_list(app):
    council, _dps, provider = council_market()
    setting = factories.setting(provider)
    bulk(QaAction, [{"setting_id": setting.id, "provider_id": provider.id, "council_id": council.id,
                     "status": "open", "owner": "provider", "priority": "medium", "description": f"Action {i}",
                     "due_on": date.today() + timedelta(days=30 + i)} for i in range(MORE)])
    return Case(factories.user("qa_officer", org=council).email, "/quality/actions?status=open", MORE)


def feedback_links(app):
    council, dps, provider = council_market()
    placement = factories.placement(council, factories.setting(provider), dps_obj=dps)
    now = datetime.now(timezone.utc)
    bulk(FeedbackRequest, [{"placement_id": placement.id, "respondent_type": "child", "token_hash": f"{i:064d}",
                            "created_at": now - timedelta(minutes=i), "expires_at": now + timedelta(days=28)}
                           for i in range(MORE)])
    return Case(factories.user("qa_officer", org=council).email, "/feedback", MORE, table=1, page_arg="links_page",
                download="table=links&", label="Pagination of the links sent")


def feedback_placements(app):
    council, dps, provider = council_market()
    setting = factories.setting(provider)
    for _ in range(SIZE + 2):
        factories.placement(council, setting, dps_obj=dps)
    return Case(factories.user("placements_officer", org=council).email, "/feedback", SIZE + 2,
                download="table=placements&", label="Pagination of the placements")


def feedback_moderation(app):
    council, dps, provider = council_market()
    placement = factories.placement(council, factories.setting(provider), dps_obj=dps)
    now = datetime.now(timezone.utc)
    bulk(FeedbackRequest, [{"placement_id": placement.id, "respondent_type": "carer", "token_hash": f"m{i:063d}",
                            "created_at": now, "expires_at": now + timedelta(days=28), "used_at": now}
                           for i in range(MORE)])
    request_ids = db.session.scalars(select(FeedbackRequest.id).order_by(FeedbackRequest.id)).all()
    bulk(FeedbackResponse, [{"request_id": rid, "placement_id": placement.id, "setting_id": placement.setting_id,
                             "provider_id": provider.id, "setting_kind": "childrens_home", "respondent_type": "carer",
                             "comment": "Kind staff", "comment_status": "pending", "submitted_at": now}
                            for rid in request_ids])
    return Case(factories.user("qa_officer", org=council).email, "/feedback/moderation", MORE,
                summaries=[f"{MORE} comments waiting"])


def returns_grid(app):
    provider = factories.organisation("provider")
    homes(provider.id, MORE, created_at=LONG_AGO)
    return Case(factories.user("provider_admin", org=provider).email, "/returns", MORE)


def returns_overdue(app):
    council, _dps, provider = council_market()
    homes(provider.id, 20, created_at=LONG_AGO)  # each home has several overdue months
    email = factories.user("qa_officer", org=council).email
    return Case(email, "/returns/overdue", -1)  # total worked out from the download in the test


def forum_meetings(app):
    now = datetime.now(timezone.utc)
    bulk(ForumMeeting, [{"dps_id": None, "title": f"Forum {i}", "meets_at": now + timedelta(days=i)}
                        for i in range(MORE)])
    return Case(factories.user("provider_staff").email, "/forums/meetings", MORE)


def compliance_dashboard(app):
    council, _dps, provider = council_market()
    ids = homes(provider.id, MORE)
    bulk(ComplianceStatus, [{"subject_type": "setting", "subject_id": sid, "provider_id": provider.id,
                             "status": "non_compliant", "reasons": [{"rule": "r", "status": "non_compliant",
                                                                     "reason": "Insurance expired"}]}
                            for sid in ids])
    return Case(factories.user("dps_manager", org=council).email, "/compliance?status=non_compliant", MORE, table=-1)


def _provider_with_history():
    provider = factories.organisation("provider")
    ids = homes(provider.id, MORE)
    bulk(ComplianceChange, [{"subject_type": "setting", "subject_id": sid, "provider_id": provider.id,
                             "from_status": "compliant", "to_status": "warning", "reasons": []} for sid in ids])
    return provider


def compliance_mine_homes(app):
    provider = _provider_with_history()
    return Case(factories.user("provider_admin", org=provider).email, "/compliance/mine", MORE,
                download="table=homes&", label="Pagination of the homes")


def compliance_mine_history(app):
    provider = _provider_with_history()
    return Case(factories.user("provider_admin", org=provider).email, "/compliance/mine", MORE, table=1,
                page_arg="history_page", download="table=history&", label="Pagination of the history")


def compliance_provider(app):
    council, dps, _ = council_market()
    provider = _provider_with_history()
    factories.admitted(provider, dps)
    return Case(factories.user("dps_manager", org=council).email, f"/compliance/providers/{provider.id}", MORE,
                table=1, page_arg="history_page", download="table=history&", label="Pagination of the history")


def history_providers(app):
    for provider_id in providers(MORE):
        homes(provider_id, 1)
    return Case(factories.user("qa_officer").email, "/quality/providers", MORE)


def history_provider_visits(app):
    council = factories.organisation("council")
    provider = factories.organisation("provider")
    ids = homes(provider.id, MORE)
    bulk(MonitoringVisit, [{"setting_id": sid, "provider_id": provider.id, "council_id": council.id,
                            "kind": "planned", "status": "planned", "planned_for": date(2026, 1, 1)} for sid in ids])
    return Case(factories.user("qa_officer", org=council).email, f"/quality/providers/{provider.id}/history", MORE,
                table=1, page_arg="visits_page", download="table=visits&", label="Pagination of the monitoring visits")


def history_provider_homes(app):
    case = history_provider_visits(app)
    case.table, case.page_arg, case.download, case.label = 0, "page", "table=homes&", "Pagination of the homes"
    return case


# --- portal ----------------------------------------------------------------------------------------

def ofsted_imports(app):
    bulk(OfstedImport, [{"filename": f"ofsted-{i}.csv", "storage_key": f"ofsted/{i}", "status": "completed"}
                        for i in range(MORE)])
    return Case(factories.user("dps_manager").email, "/dps/ofsted-imports", MORE)


def settings_list(app):
    provider = factories.organisation("provider")
    homes(provider.id, MORE - 10)
    homes(provider.id, 10, status="closed")
    return Case(factories.user("provider_admin", org=provider).email, "/settings?closed=1", MORE)


def dps_applications(app):
    council = factories.organisation("council")
    dps = factories.dps(council)
    now = datetime.now(timezone.utc)
    bulk(DpsApplication, [{"dps_id": dps.id, "provider_id": pid, "status": "submitted", "submitted_at": now,
                           "decision_due_on": date.today() + timedelta(days=10 + i)}
                          for i, pid in enumerate(providers(MORE))])
    return Case(factories.user("dps_manager", org=council).email, "/dps/applications?status=awaiting", MORE,
                summaries=[f"{MORE} applications"])


def organisation_users(app):
    provider = factories.organisation("provider")
    bulk(User, [{"organisation_id": provider.id, "email": f"person{i}@example.org", "name": f"Person {i:03d}",
                 "status": "active"} for i in range(MORE - 1)])
    return Case(factories.user("provider_admin", org=provider).email, "/organisation/users", MORE)


def admin_jobs(app):
    bulk(JobRun, [{"key": f"test:{i}", "function": "portal.core.jobs:nothing", "args": [], "status": "failed",
                   "attempts": 5, "last_error": "boom"} for i in range(MORE)])
    return Case(factories.user("system_admin").email, "/admin/jobs?status=failed", MORE,
                summaries=[f"Failed ({MORE})"])


# --- tendering -------------------------------------------------------------------------------------

def distribution(app):
    council = factories.organisation("council")
    referral = factories.referral(council, status="published")
    bulk(ReferralProvider, [{"referral_id": referral.id, "provider_id": pid, "invited": False,
                             "reasons": ["No home is open"], "setting_ids": []} for pid in providers(MORE)])
    return Case(factories.user("placements_officer", org=council).email, f"/referrals/{referral.id}/distribution",
                MORE, summaries=[f'Providers considered</dt><dd class="govuk-summary-list__value">{MORE}<'])


def referral_audit(app):
    council = factories.organisation("council")
    referral = factories.referral(council, status="published")
    bulk(AuditEvent, [{"action": "referral.viewed", "object_type": "referral", "object_id": str(referral.id)}
                      for _ in range(MORE)])
    return Case(factories.user("placements_officer", org=council).email, f"/referrals/{referral.id}/audit", MORE,
                summaries=[f"{MORE} events"])


def panel_index(app):
    council = factories.organisation("council")
    dps = factories.dps(council)
    member = factories.user("panel_member", org=council)
    ids = [factories.referral(council, dps_obj=dps, status="published", needs={}).id for _ in range(SIZE + 3)]
    bulk(PanelAssignment, [{"referral_id": rid, "user_id": member.id} for rid in ids])
    return Case(member.email, "/panel", SIZE + 3)


CASES = [visits_list, visits_list_filtered, visits_overdue, visits_upcoming, actions_list, feedback_links,
         feedback_placements, feedback_moderation, returns_grid, returns_overdue, forum_meetings, compliance_dashboard,
         compliance_mine_homes, compliance_mine_history, compliance_provider, history_providers,
         history_provider_visits, history_provider_homes, ofsted_imports, settings_list, dps_applications,
         organisation_users, admin_jobs, distribution, referral_audit, panel_index]


@pytest.mark.parametrize("make", CASES, ids=[c.__name__ for c in CASES])
def test_list_is_paged(app, make):
    with app.app_context():
        case = make(app)
        db.commit()
    client = signed_in(app, case.email)
    if case.total < 0:  # worked out by the page itself: the download's rows
        data = list(csv.reader(io.StringIO(client.get(f"{case.url}?format=csv").get_data(as_text=True))))
        case.total = len(data) - 1
    check(client, case)


def test_filters_survive_paging(app):
    with app.app_context():
        case = visits_list_filtered(app)
        db.commit()
    html = signed_in(app, case.email).get(case.url).get_data(as_text=True)
    assert "/quality/visits?status=planned&amp;page=2" in html or "/quality/visits?page=2&amp;status=planned" in html


def test_two_paged_tables_keep_each_others_page(app):
    with app.app_context():
        case = compliance_mine_history(app)
        db.commit()
    client = signed_in(app, case.email)
    html = client.get("/compliance/mine?page=2").get_data(as_text=True)
    assert rows_in(html, 0) == MORE - SIZE and rows_in(html, 1) == SIZE
    assert "history_page=2" in html and "page=2" in html  # the history's Next keeps the homes on page 2
    assert 'aria-label="Pagination of the homes"' in html and 'aria-label="Pagination of the history"' in html


def test_compliance_summary_counts_every_row(app):
    with app.app_context():
        case = compliance_dashboard(app)
        db.commit()
    client = signed_in(app, case.email)
    data = list(csv.reader(io.StringIO(client.get("/compliance?table=status&format=csv").get_data(as_text=True))))
    assert ["Non-compliant", "0", str(MORE)] in data


def test_page_sizes_are_fifty():
    from portal.core import paging

    assert paging.PAGE_SIZE == SIZE
    assert paging.last_page(0, SIZE) == 1 and paging.last_page(50, SIZE) == 1 and paging.last_page(51, SIZE) == 2
    assert paging.slice_of(list(range(120)), 999) == (list(range(100, 120)), 120, 3)


def test_count_query_counts_every_row(ctx):
    for provider_id in providers(3, "Counted"):
        homes(provider_id, 2)
    from portal.core import paging

    stmt = select(Setting).order_by(Setting.name, Setting.id)
    rows, total, page = paging.page_of(stmt, 2, 4)
    assert (len(rows), total, page) == (2, 6, 2)
    assert total == db.session.scalar(select(func.count()).select_from(Setting))
