"""Provider forums: aggregates only, suppression below 5 (also through filters), median, the forum pack and
forum meetings with agenda and minutes in document storage."""
from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.models import SETTING_KINDS
from quality import forum_pack, forums
from quality.forums import MIN_GROUP, SUPPRESSED, Filters
from quality.models import RESPONDENT_TYPES, FeedbackResponse, ForumMeeting
from tests import factories
from tests.conftest import csrf_from, sign_in

ALL_FILTERS = [Filters(kind=k, respondent_type=t, period=p)
               for k, t, p in itertools.product([None, *SETTING_KINDS], [None, *RESPONDENT_TYPES], forums.PERIODS)]


def _responses(placement, n, respondent_type="child", score=4, days_ago=10, **kw):
    when = utcnow() - timedelta(days=days_ago)
    return [factories.feedback_response(placement, respondent_type=respondent_type, scores=score, submitted_at=when,
                                        **kw) for _ in range(n)]


@pytest.fixture
def market(app):
    """Provider P (children's homes), two other providers; some groups deliberately small."""
    with app.app_context():
        council = factories.organisation("council")
        p = factories.organisation("provider", name="Provider P")
        q = factories.organisation("provider", name="Provider Q")
        r = factories.organisation("provider", name="Provider R")
        p_home = factories.placement(council, factories.setting(p))
        q_home = factories.placement(council, factories.setting(q))
        q_foster = factories.placement(council, factories.setting(q, kind="independent_fostering"))
        r_sa = factories.placement(council, factories.setting(r, kind="supported_accommodation"))
        r_home = factories.placement(council, factories.setting(r))
        _responses(p_home, 3, "child", 5)
        _responses(p_home, 3, "carer", 3, days_ago=200)
        _responses(q_home, 4, "child", 2, days_ago=40)
        _responses(r_home, 3, "social_worker", 4, days_ago=120)
        _responses(q_foster, 3, "carer", 4)                      # fostering: 3 in all → always suppressed
        _responses(r_sa, 5, "child", 3, days_ago=20)             # supported: 5 children …
        _responses(r_sa, 2, "carer", 3, days_ago=20)             # … and 2 carers: 7 in all
        factories.feedback_response(r_sa, comment="Staff help me cook.", comment_status="approved",
                                    respondent_type="child", scores=4, submitted_at=utcnow() - timedelta(days=20))
        factories.feedback_response(q_foster, comment="Kind carers.", comment_status="approved",
                                    respondent_type="carer", scores=4)
        factories.feedback_response(r_sa, comment="Pending words.", comment_status="pending",
                                    respondent_type="iro", scores=4, submitted_at=utcnow() - timedelta(days=20))
        admin = factories.user("provider_admin", org=p)
        db.commit()
        return {"p": p.id, "q": q.id, "admin": admin.email, "council": council.id}


def _true_n(kind, respondent_type, period, provider_id=None) -> int:
    """Counted independently of quality.forums, straight from the table."""
    stmt = select(FeedbackResponse)
    if kind:
        stmt = stmt.where(FeedbackResponse.setting_kind == kind)
    if respondent_type:
        stmt = stmt.where(FeedbackResponse.respondent_type == respondent_type)
    days = forums.PERIODS[period][1]
    if days:
        stmt = stmt.where(FeedbackResponse.submitted_at >= utcnow() - timedelta(days=days))
    if provider_id:
        stmt = stmt.where(FeedbackResponse.provider_id == provider_id)
    return len(db.session.scalars(stmt).all())


@pytest.mark.parametrize("viewer", [None, "p"])
def test_no_shown_figure_comes_from_fewer_than_5_responses_for_any_filter_combination(app, market, viewer):
    viewer_id = market[viewer] if viewer else None
    with app.app_context():
        shown_any = 0
        for filters in ALL_FILTERS:
            groups = forums.market(filters, viewer_provider_id=viewer_id)
            for group in groups:
                true_n = _true_n(group.kind, filters.respondent_type, filters.period)
                for figure in [group.responses, *group.themes.values()]:
                    assert figure.n == true_n
                    if figure.shown:
                        shown_any += 1
                        assert true_n >= MIN_GROUP, (filters, group.kind)
                        for t, p in forums._coarser(filters.respondent_type, filters.period):
                            diff = _true_n(group.kind, t, p) - true_n
                            assert diff == 0 or diff >= MIN_GROUP, (filters, group.kind, t, p)
                        if viewer_id:
                            others = true_n - _true_n(group.kind, filters.respondent_type, filters.period, viewer_id)
                            assert others == 0 or others >= MIN_GROUP
                    else:
                        assert figure.mean is None and figure.median is None
                if not group.responses.shown:
                    assert group.comments == []
            if viewer_id:
                comparison = forums.provider_comparison(viewer_id, filters)
                own_n = _true_n(filters.kind, filters.respondent_type, filters.period, viewer_id)
                all_n = _true_n(filters.kind, filters.respondent_type, filters.period)
                for pair in comparison["themes"].values():
                    assert not pair["own"].shown or own_n >= MIN_GROUP
                    assert not pair["market"].shown or (all_n >= MIN_GROUP and (all_n - own_n == 0
                                                                                 or all_n - own_n >= MIN_GROUP))
            for figure in forums.shown_figures(groups):
                assert figure.n >= MIN_GROUP
        assert shown_any > 0  # the loop really saw figures


def test_small_groups_are_suppressed_and_large_ones_shown(app, market):
    with app.app_context():
        groups = {g.kind: g for g in forums.market(Filters())}
        assert not groups["independent_fostering"].responses.shown  # 4 responses
        assert groups["independent_fostering"].themes["safe"].text() == SUPPRESSED
        assert groups["independent_fostering"].comments == []      # approved, but the group is below 5
        home = groups["childrens_home"]
        assert home.responses.shown and home.responses.n == 13
        assert home.themes["safe"].mean == pytest.approx((3 * 5 + 3 * 3 + 4 * 2 + 3 * 4) / 13, abs=0.01)
        sa = groups["supported_accommodation"]
        assert sa.responses.shown and sa.comments == ["Staff help me cook."]  # pending never shown


def test_a_filter_that_narrows_a_group_below_5_suppresses_it(app, market):
    with app.app_context():
        carers = forums.market(Filters(kind="childrens_home", respondent_type="carer"))[0]
        assert carers.responses.n == 3 and not carers.responses.shown
        recent = forums.market(Filters(kind="childrens_home", period="3m"))[0]
        assert recent.responses.n == 7 and recent.responses.shown  # 3 P children + 4 Q children; 6 older


def test_a_figure_that_could_be_subtracted_from_a_coarser_one_is_suppressed(app, market):
    with app.app_context():
        # supported accommodation: 8 in all (6 children, 1 carer, 1 IRO); children alone are 6 ≥ 5, but
        # "everyone" minus "children" would reveal the other 2, so the children's figure is withheld.
        children = forums.market(Filters(kind="supported_accommodation", respondent_type="child"))[0]
        assert children.responses.n == 6 and not children.responses.shown
        assert forums.market(Filters(kind="supported_accommodation"))[0].responses.shown


def test_provider_sees_its_own_scores_beside_the_market_median(app, market):
    with app.app_context():
        comparison = forums.provider_comparison(market["p"], Filters(kind="childrens_home"))
        safe = comparison["themes"]["safe"]
        assert safe["own"].shown and safe["own"].mean == 4.0 and safe["own"].median == 4.0  # 3×5, 3×3
        # market: 3×5, 3×3, 4×2, 3×4 → sorted 2,2,2,2,3,3,3,4,4,4,5,5,5 → median 3
        assert safe["market"].shown and safe["market"].median == 3.0
        assert comparison["own_responses"].n == 6


def test_the_market_is_hidden_from_a_provider_when_other_providers_are_fewer_than_5(app, market):
    with app.app_context():
        viewer_q = forums.market(Filters(kind="childrens_home", period="3m"), viewer_provider_id=market["q"])[0]
        # 7 in the last 3 months: 4 are Q's own, so only 3 from others → withheld from Q
        assert not viewer_q.responses.shown
        assert forums.market(Filters(kind="childrens_home", period="3m"))[0].responses.shown


def test_forum_page_for_a_provider_and_bad_filters(app, client, market):
    sign_in(client, market["admin"], factories.PASSWORD)
    html = client.get("/forums").get_data(as_text=True)
    assert "Your homes compared with the market" in html and SUPPRESSED in html
    assert "Provider Q" not in html and "Pending words" not in html and "Kind carers" not in html
    assert "Staff help me cook." in html
    bad = client.get("/forums?kind=castle&period=all")
    assert bad.status_code == 400 and "govuk-error-summary" in bad.get_data(as_text=True)
    assert client.get("/forums?kind=childrens_home&respondent=carer&period=3m").status_code == 200


@pytest.mark.parametrize("query", ["", "?kind=independent_fostering", "?kind=childrens_home&respondent=carer",
                                   "?period=3m"])
def test_forum_pack_csv_respects_suppression(app, client, market, query):
    sign_in(client, market["admin"], factories.PASSWORD)
    response = client.get("/forums/pack.csv" + query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header = rows.index(forum_pack.HEADER)
    with app.app_context():
        for section, kind_label, theme, mean, median, count in rows[header + 1:]:
            if count == SUPPRESSED:
                assert mean in ("", SUPPRESSED) and median in ("", SUPPRESSED)
            else:
                assert int(count) >= MIN_GROUP
    assert "Kind carers" not in response.get_data(as_text=True)


def test_forum_pack_pdf_respects_suppression(app, client, market):
    sign_in(client, market["admin"], factories.PASSWORD)
    response = client.get("/forums/pack.pdf?kind=independent_fostering")
    data = response.get_data()
    assert response.status_code == 200 and data.startswith(b"%PDF")
    assert b"Fewer than 5 responses" in data and b"4.00" not in data
    with app.app_context():
        groups = forums.market(Filters(kind="independent_fostering"))
        assert all(row[3] in ("", SUPPRESSED) for row in forum_pack.rows(Filters(kind="independent_fostering"),
                                                                           groups))
    assert client.get("/forums/pack.xlsx").status_code == 400


def test_council_staff_see_the_forum_without_a_provider_comparison(app, market):
    from tests.conftest import signed_in_client
    client = signed_in_client(app, "placements_officer")
    html = client.get("/forums").get_data(as_text=True)
    assert "Themes by kind of home" in html and "Your homes compared" not in html


# --- meetings -----------------------------------------------------------------------------------------

@pytest.fixture
def dps_world(app):
    with app.app_context():
        council = factories.organisation("council")
        dps = factories.dps(council)
        manager = factories.user("dps_manager", org=council)
        provider = factories.organisation("provider")
        factories.admitted(provider, dps)
        staff = factories.user("provider_staff", org=provider)
        outsider = factories.user("provider_staff")
        db.commit()
        return {"dps": dps.id, "manager": manager.email, "staff": staff.email, "outsider": outsider.email}


def _schedule(client, dps_id, **extra):
    page = client.get("/forums/meetings/new")
    data = {"title": "Spring provider forum", "dps": str(dps_id), "day": ["14", "4", "2027"], "clock": "10:30",
            "location": "Town hall", "agenda": "1. Welcome", "csrf_token": csrf_from(page.get_data(as_text=True))}
    data.update(extra)
    return client.post("/forums/meetings/new", data=data, content_type="multipart/form-data")


def test_schedule_a_meeting_attach_minutes_and_download_through_expiring_links(app, client, dps_world):
    sign_in(client, dps_world["manager"], factories.PASSWORD)
    response = _schedule(client, dps_world["dps"], agenda_file=(io.BytesIO(factories.PDF_BYTES), "Agenda.pdf"))
    assert response.status_code == 302
    detail = response.headers["Location"]
    meeting_id = int(detail.rstrip("/").split("/")[-1])
    csrf = csrf_from(client.get(detail).get_data(as_text=True))
    bad = client.post(f"/forums/meetings/{meeting_id}/minutes", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(factories.EXE_BYTES), "minutes.exe"), "csrf_token": csrf})
    assert bad.status_code == 400 and "program" in bad.get_data(as_text=True)
    ok = client.post(f"/forums/meetings/{meeting_id}/minutes", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(factories.docx_bytes()), "Minutes.docx"), "csrf_token": csrf})
    assert ok.status_code == 302
    with app.app_context():
        meeting = db.session.get(ForumMeeting, meeting_id)
        assert meeting.minutes_filename == "Minutes.docx" and meeting.agenda_filename == "Agenda.pdf"
        assert meeting.meets_at.hour == 9  # 10:30 in London in April is 09:30 UTC

    provider = app.test_client()
    sign_in(provider, dps_world["staff"], factories.PASSWORD)
    assert "Spring provider forum" in provider.get("/forums/meetings").get_data(as_text=True)
    html = provider.get(detail).get_data(as_text=True)
    links = [part.split('"')[0] for part in html.split('href="')[1:] if "/documents/download/" in part]
    assert len(links) == 2
    assert provider.get(links[0]).get_data() == factories.PDF_BYTES
    assert "Attach the minutes" not in html and "Replace the minutes" not in html
    from freezegun import freeze_time
    with freeze_time(utcnow() + timedelta(seconds=app.config["DOCUMENT_LINK_SECONDS"] + 5)):
        assert provider.get(links[1]).status_code == 410

    outsider = app.test_client()
    sign_in(outsider, dps_world["outsider"], factories.PASSWORD)
    assert outsider.get(detail).status_code == 404
    assert "Spring provider forum" not in outsider.get("/forums/meetings").get_data(as_text=True)


def test_bad_meeting_input_is_a_400_and_nothing_written(app, client, dps_world):
    sign_in(client, dps_world["manager"], factories.PASSWORD)
    response = _schedule(client, dps_world["dps"], title="", clock="25:99", day=["31", "2", "2027"])
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a title" in html and "24-hour clock" in html and "real date" in html
    with app.app_context():
        assert db.session.scalar(select(ForumMeeting)) is None


def test_provider_cannot_schedule(app, dps_world):
    provider = app.test_client()
    sign_in(provider, dps_world["staff"], factories.PASSWORD)
    assert provider.get("/forums/meetings/new").status_code == 403
