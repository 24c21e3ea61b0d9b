"""The sufficiency dashboard keeps its rendered tables for DASHBOARD_CACHE_SECONDS per set of filters: the page
says when its figures were worked out, another council's user never gets them, and once they are older than
the limit the next request works them out again. In Redis the fragment is JSON with an expiry."""
from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core import cache, db
from portal.core.db import utcnow
from portal.core.models import Organisation
from tests import factories
from tests.conftest import make_app, sign_in
from tests.test_sufficiency import placed


@pytest.fixture
def cached_app(database_url, tmp_path):
    return make_app(database_url, tmp_path, DASHBOARD_CACHE_SECONDS=60)


def _client(app, role: str, council: str):
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == council))
        email = factories.user(role, org=org).email
        db.commit()
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def test_the_tables_are_kept_for_a_minute_per_filters_and_never_shown_to_another_council(cached_app, monkeypatch):
    app = cached_app
    with app.app_context():
        lew = factories.organisation("council", name="Lewisham Council")
        gre = factories.organisation("council", name="Greenwich Council")
        dps = factories.dps(lew, gre, name="South East London DPS")
        home = factories.setting(factories.organisation("provider"))
        placed(lew, dps, home, 3_200, kind="spot_purchase")
        placed(gre, dps, home, 7_777, kind="spot_purchase")
        db.commit()
        dps_id = dps.id
    lewisham = _client(app, "placements_officer", "Lewisham Council")
    first = lewisham.get("/sufficiency").get_data(as_text=True)
    assert "£3,200.00" in first and "£7,777.00" not in first
    assert "Figures as at" in first and "more than 60 seconds old" in first

    with app.app_context():  # a new placement: the kept tables do not show it yet
        lew = db.session.scalar(select(Organisation).where(Organisation.name == "Lewisham Council"))
        from portal.models import Dps
        placed(lew, db.session.get(Dps, dps_id), factories.setting(factories.organisation("provider")), 9_100,
               kind="spot_purchase")
        db.commit()
    again = lewisham.get("/sufficiency").get_data(as_text=True)
    assert "£9,100.00" not in again and "£3,200.00" in again

    # Another council's officer gets their own figures, not Lewisham's kept ones.
    greenwich = _client(app, "placements_officer", "Greenwich Council").get("/sufficiency").get_data(as_text=True)
    assert "£7,777.00" in greenwich and "£3,200.00" not in greenwich

    # Other filters are another entry: worked out now, so they include the new placement.
    other = lewisham.get("/sufficiency?lot=residential").get_data(as_text=True)
    assert "£9,100.00" in other

    # A minute later the first entry has expired and is worked out again.
    later = cache.time.monotonic() + 61
    monkeypatch.setattr(cache.time, "monotonic", lambda: later)
    fresh = lewisham.get("/sufficiency").get_data(as_text=True)
    assert "£9,100.00" in fresh


def test_downloads_are_always_worked_out_afresh(cached_app):
    app = cached_app
    with app.app_context():
        lew = factories.organisation("council", name="Lewisham Council")
        dps = factories.dps(lew)
        placed(lew, dps, factories.setting(factories.organisation("provider")), 3_200, kind="spot_purchase")
        db.commit()
    client = _client(app, "placements_officer", "Lewisham Council")
    assert "£3,200.00" in client.get("/sufficiency").get_data(as_text=True)
    with app.app_context():
        lew = db.session.scalar(select(Organisation).where(Organisation.name == "Lewisham Council"))
        placed(lew, factories.dps(lew), factories.setting(factories.organisation("provider")), 5_000,
               kind="spot_purchase")
        db.commit()
    csv_text = client.get("/sufficiency?format=csv&panel=cost_spot").get_data(as_text=True)
    assert "5000.00" in csv_text


@pytest.mark.redis
def test_in_redis_the_fragment_is_json_with_an_expiry(redis_url):
    store = cache.RedisCache(redis_url)
    key = cache.key_for(("test", "fragment", utcnow().timestamp()))
    when = utcnow() - timedelta(seconds=5)
    store.set(key, "<p>figures</p>", when, 30)
    try:
        assert store.get(key) == ("<p>figures</p>", when)
        raw = store.redis.get(key)
        assert json.loads(raw)["value"] == "<p>figures</p>"  # JSON, never pickle
        assert 0 < store.redis.ttl(key) <= 30
    finally:
        store.redis.delete(key)


def test_a_cache_that_cannot_be_reached_only_costs_time(cached_app):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    app = cached_app
    app.extensions["homefinder.cache"] = cache.RedisCache(f"redis://127.0.0.1:{port}/0")
    with app.app_context():
        built = []
        html, as_at = cache.remember(("x",), 60, lambda: built.append(1) or "<p>built</p>")
        assert html == "<p>built</p>" and built == [1] and abs((utcnow() - as_at).total_seconds()) < 5


def test_the_kept_fragment_holds_nothing_of_the_user_who_asked():
    """The kept tables are shared by everyone allowed the same filters: a CSRF token, a name or anything else of
    the signed-in user inside them would be served to the next person."""
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "templates" / "tendering"
    for name in ("_sufficiency_sections.html", "_sufficiency_table.html"):
        source = (templates / name).read_text()
        for personal in ("csrf_token", "current_user", "session", "get_flashed_messages"):
            assert personal not in source, (name, personal)
