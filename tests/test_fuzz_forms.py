"""Hostile input to every form (issue 7 item 5): every POST route in app.url_map, as every role its rule
allows, on an object of the user's own organisation (tests/fuzz_builders.py). The fields are read from
the real page; hypothesis fills them with hostile or valid-ish values. Each post must not crash (< 500),
must show errors with the GOV.UK error summary, must never echo a script unescaped, and a refused post
must write nothing (every table's row count unchanged).
"""
from __future__ import annotations

import io
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from portal.core import db
from portal.core.access import rule_for
from portal.core.models import ROLES
from tests import factories
from tests.conftest import sign_in, submit
from tests.fuzz_builders import BUILDERS, EXCLUDED, ROLES as ROLES_FOR_FORM

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAK = '" onmouseover="alert(1)'
KEEP = "\x00keep"  # sentinel: the field's own value (or a valid-looking one)
HOSTILE = [
    SCRIPT, ATTRIBUTE_BREAK, "'; DROP TABLE x;--", "{{7*7}}", "-1", "0", "1e308", "99999999999999999999", "NaN",
    "x" * 10_000, "\u202eevil\u202c", "👩\u200d👩\u200d👧" * 30, "e\u0301\u0302\u0303", "a\x00b", "\x01\x1b[31m\x7f",
    "٣", "31", "2", "", " ", "\ufeff", "2026-02-31", "31/02/2026", "=HYPERLINK(\"http://evil\")", "../../etc/passwd",
    "javascript:alert(1)", "%s%n\\", "\r\n\t",
]
HOSTILE_VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(codec="utf-8"), max_size=40))
SLOTS = 10


def _plant(hits: list[tuple[int, str]]) -> list[str]:
    values = [KEEP] * SLOTS
    for slot, value in hits:
        values[slot] = value
    return values


# Mostly a valid submission with one to three hostile fields, so the values get past the other fields'
# validation into the services and the database.
VALUES = st.lists(st.tuples(st.integers(0, SLOTS - 1), HOSTILE_VALUE), min_size=1, max_size=3).map(_plant)
EXAMPLES = 4  # generated posts per form, shared among its roles and targets, plus the two explicit ones


class _Forms(HTMLParser):
    """Every <form>: its action, and its fields as (kind, name, value, checked)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                          "fields": []}
            self.forms.append(self._form)
        elif self._form is None or (tag not in ("input", "select", "textarea", "option", "button")):
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            self._form["fields"].append([kind, a["name"], a.get("value") or "", "checked" in a,
                                         f'{a.get("id") or ""} {a.get("accept") or ""}'])
        elif tag == "button" and a.get("name"):
            self._form["fields"].append(["submit", a["name"], a.get("value") or "", False, ""])
        elif tag == "textarea" and a.get("name"):
            self._textarea = ["textarea", a["name"], "", False, a.get("id") or ""]
            self._form["fields"].append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = ["select", a["name"], [], False, ""]
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select[2].append(a.get("value", ""))
            if "selected" in a:
                self._select[3] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_for(html: str, post_url: str, page_url: str) -> dict | None:
    parser = _Forms()
    parser.feed(html)
    target = urlsplit(post_url).path
    for form in parser.forms:
        action = urlsplit(form["action"]).path or urlsplit(page_url).path
        if form["method"] == "post" and action == target:
            return form
    return None


def _plausible(name: str) -> str:
    """A value a careful user might type, guessed from the field's name and id."""
    n = name.lower()
    for words, value in [(("email",), "fuzz@example.org"), (("postcode",), "SE6 4RU"), (("-day",), "3"),
                         (("-month",), "6"), (("-year",), "2027"), (("phone",), "020 7946 0000"),
                         (("companies_house",), "01234567"), (("urn",), "SC123456"), (("clock", "time"), "10:00"),
                         (("password", "confirm"), factories.PASSWORD),
                         (("pence", "fee", "price", "amount", "places", "_age", "size", "weeks", "quantity", "score",
                           "distance", "miles", "number", "cover", "period", "incidents", "episodes", "percent",
                           "endings", "vacancies", "cost"), "3")]:
        if any(w in n for w in words):
            return value
    return "Fuzz value"


def fill(form: dict, values: list[str]) -> dict:
    """Form data: field i gets values[i % SLOTS]; KEEP keeps the page's own value (or a plausible one).
    Inputs sharing a name (GOV.UK date inputs: day, month, year) are posted as a list, as a browser does."""
    data: dict = {}
    slot = 0
    count = sum(1 for kind, name, *_ in form["fields"] if kind != "submit" and not name.endswith("csrf_token"))
    # fewer fields than slots: fold the slots onto the fields, so every planted hostile value is posted
    folded = [next((v for v in values[i::count] if v != KEEP), KEEP) for i in range(min(count, len(values)))]
    values = folded or values
    for kind, name, value, checked, hints in form["fields"]:
        if name.endswith("csrf_token"):  # also prefixed forms' "admit-csrf_token"
            data[name] = value
            continue
        if kind == "submit":
            data.setdefault(name, value)
            continue
        chosen = values[slot % len(values)]
        slot += 1
        if kind == "file":
            if chosen == KEEP:
                csv = "csv" in hints
                body, filename = ((b"URN,Registration status\r\nSC123456,Active\r\n", "fuzz.csv") if csv
                                  else (b"%PDF-1.4\n%%EOF\n", "fuzz.pdf"))
            else:
                body, filename = chosen.encode("utf-8", "surrogatepass")[:2000], (chosen[:200] or "x") + ".pdf"
            data[name] = (io.BytesIO(body), filename)
        elif kind in ("checkbox", "radio"):
            if chosen != KEEP:
                data[name] = chosen
            elif kind == "radio":
                if checked or name not in data:
                    data[name] = value
            elif isinstance(data.setdefault(name, []), list) and (checked or len(data[name]) < 2):
                data[name].append(value)
        elif kind == "select":
            options = [o for o in value if o]
            data[name] = (checked or (options[0] if options else "")) if chosen == KEEP else chosen
        else:
            typed = (value if kind == "hidden" else value or _plausible(f"{name} {hints}")) if chosen == KEEP \
                else chosen
            if name in data:  # a repeated name: post every value
                data[name] = (data[name] if isinstance(data[name], list) else [data[name]]) + [typed]
            else:
                data[name] = typed
    return data


def row_counts(app) -> dict[str, int]:
    """Every table's row count, in one query."""
    engine = app.extensions["homefinder.engine"]
    sql = app.extensions.get("fuzz.count_sql")
    if sql is None:
        sql = app.extensions["fuzz.count_sql"] = " UNION ALL ".join(
            f"SELECT '{n}', COUNT(*) FROM {n}" for n in sorted(inspect(engine).get_table_names()))
    with engine.connect() as conn:
        return dict(conn.execute(text(sql)).all())


def _roles_for(app, endpoint: str) -> list[str | None]:
    rule = rule_for(app, endpoint)
    if endpoint in ROLES_FOR_FORM:
        return ROLES_FOR_FORM[endpoint]
    if rule.public:
        return [None]
    if not rule.roles:  # any signed-in user: one of each kind that can reach the form
        return ["dps_manager", "placements_officer"]
    return sorted(rule.roles)


def _post_endpoints(app) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}


def test_every_post_endpoint_has_a_builder_or_a_reason(app):
    endpoints = _post_endpoints(app)
    missing = endpoints - set(BUILDERS) - set(EXCLUDED)
    assert not missing, f"POST endpoints with no fuzz builder in tests/fuzz_builders.py: {sorted(missing)}"
    stale = (set(BUILDERS) | set(EXCLUDED)) - endpoints
    assert not stale, f"builders for endpoints that no longer exist: {sorted(stale)}"
    assert all(len(reason) > 20 for reason in EXCLUDED.values())


def _prepare(app, endpoint: str, role: str | None):
    """Build the object, sign in, and return (client, [(post_url, page_url)])."""
    with app.app_context():
        user = factories.user(role) if role else None
        targets = BUILDERS[endpoint](user)
        db.commit()
        email = user.email if user else None
    client = app.test_client()
    if email:
        assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client, targets


def check_post(app, client, endpoint: str, post_url: str, page_url: str | None, values: list[str], seen: dict):
    """One hostile post. `seen` carries the form page as last fetched (saves a request per example)."""
    page = seen.pop("page", None) or client.get(page_url or post_url)
    html = page.get_data(as_text=True)
    form = form_for(html, post_url, page_url or post_url)
    if form is None:  # the object moved on (an earlier example submitted it): the page says why, never a 500
        assert page.status_code < 500, f"GET {page_url or post_url}"
        return
    data = fill(form, values)
    seen["posts"] = seen.get("posts", 0) + 1
    before = row_counts(app)
    response = client.post(post_url, data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    where = f"POST {post_url} ({endpoint}) with {_short(data)}"
    assert response.status_code < 500, where
    assert "missing its security token" not in body, f"the sweep lost the CSRF token: {where}"
    assert SCRIPT not in body and ATTRIBUTE_BREAK not in body, where
    refused = response.status_code >= 400 or "govuk-error-message" in body or "govuk-error-summary" in body
    if "govuk-error-message" in body:
        assert "govuk-error-summary" in body, where
    if response.status_code >= 400:
        assert "govuk-template" in body, where  # a GOV.UK page, not a bare error
    if refused and response.status_code != 429:
        after = row_counts(app)
        changed = {t for t in after if after[t] != before.get(t)}
        assert not changed, f"{where}: refused but wrote to {sorted(changed)}"
    if response.status_code in (301, 302, 303) and response.location:  # stored: escaped wherever it is shown
        shown = client.get(response.location).get_data(as_text=True)
        assert SCRIPT not in shown and ATTRIBUTE_BREAK not in shown, where
        seen["page"] = client.get(page_url or post_url)
        again = seen["page"].get_data(as_text=True)
        assert SCRIPT not in again and ATTRIBUTE_BREAK not in again, where


def _short(data: dict) -> str:
    return repr({k: (v[:40] if isinstance(v, str) else v) for k, v in data.items() if k != "csrf_token"})[:600]


@pytest.mark.parametrize("endpoint", sorted(BUILDERS))
def test_hostile_values_in_every_form(app, endpoint):
    app.config["EXPORT_SYNC_LIMIT"] = 0
    assert endpoint in {r.endpoint for r in app.url_map.iter_rules()}
    roles = _roles_for(app, endpoint)
    for role in roles:
        client, targets = _prepare(app, endpoint, role)
        for post_url, page_url, *pending in targets:
            seen: dict = {}
            if pending:  # half-way through signing in: password given, second step to come
                assert submit(client, "/sign-in", {"email": pending[0], "password": factories.PASSWORD}
                              ).status_code == 302

            @settings(max_examples=max(1, EXAMPLES // (len(roles) * len(targets))), deadline=None,
                      derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
            @given(values=VALUES)
            @example(values=[SCRIPT] * SLOTS)
            @example(values=[KEEP] * SLOTS)
            def run(values):
                check_post(app, client, endpoint, post_url, page_url, values, seen)

            run()
            assert seen.get("posts"), f"{endpoint} as {role}: no <form action={post_url}> on {page_url or post_url}"


def test_the_sweep_knows_every_role(app):
    assert {r for e in BUILDERS for r in _roles_for(app, e) if r} <= set(ROLES)
