"""OCDS release packages (issue #6 item 3): valid offline against the vendored schema, one ocid per awarded
referral, nothing identifying a child, bid values only once awarded, the CLI, and the download's scope."""
from __future__ import annotations

import json
import socket

import pytest

from portal.core import db
from tendering import award as awards
from tendering import ocds
from tendering.models import Placement, Referral
from tests import factories
from tests.conftest import sign_in


def _awarded(app):
    """evaluated_referral, prices revealed and A awarded (A £4,000.00, B £3,600.00, C unsuitable)."""
    s = factories.evaluated_referral()
    awards.reveal_prices(s["referral"], s["officer"])
    awards.award(s["referral"], s["A"].id, None, s["officer"])
    db.commit()
    return s


@pytest.fixture
def s(app):
    with app.app_context():
        s = _awarded(app)
        return {k: getattr(v, "id", v) for k, v in s.items()} | {"officer_email": s["officer"].email}


def _package(app, prefix="ocds-test"):
    with app.app_context():
        return ocds.package(ocds.referrals_for(), prefix)


def test_package_validates_offline_against_vendored_schema(app, s, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("validation must not touch the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    package = _package(app)
    with app.app_context():
        assert ocds.errors(package) == []
        # the vendored extension schemas are really applied: a bad bid status is caught
        broken = json.loads(json.dumps(package))
        broken["releases"][0]["bids"]["details"][0]["status"] = "winner"
        broken["releases"][0]["tender"]["techniques"]["hasDynamicPurchasingSystem"] = "yes"
        found = "\n".join(ocds.errors(broken))
        assert "bids/details/0/status" in found and "techniques/hasDynamicPurchasingSystem" in found
        # and core rules: an unknown award status
        broken["releases"][0]["awards"][0]["status"] = "won"
        assert any("awards/0/status" in e for e in ocds.errors(broken))


def test_release_content(app, s):
    package = _package(app)
    assert package["version"] == "1.1" and len(package["releases"]) == 1
    release = package["releases"][0]
    assert release["ocid"] == f"ocds-test-{s['referral']}"
    assert release["tag"] == ["award", "contract"] and release["initiationType"] == "tender"
    tender = release["tender"]
    assert tender["title"] == "Residential children's home for a 15-year-old"
    assert tender["procurementMethod"] == "selective"
    assert tender["techniques"]["hasDynamicPurchasingSystem"] is True
    assert tender["numberOfTenderers"] == 3
    assert set(tender["tenderPeriod"]) == {"startDate", "endDate"}
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert roles["Lewisham Council"] == ["buyer"]
    assert roles["Acorn Care Ltd"] == ["supplier", "tenderer"]
    assert roles["Birch Homes Ltd"] == ["tenderer"] and roles["Cedar Living Ltd"] == ["tenderer"]
    assert "Provider D" not in roles and "Provider E" not in roles  # declined / silent: no bid
    assert release["buyer"]["name"] == "Lewisham Council"
    bids = {b["id"]: b for b in release["bids"]["details"]}
    ocid = release["ocid"]
    assert bids[f"{ocid}-bid-{s['A']}"]["value"] == {"amount": 4000.0, "currency": "GBP"}
    assert bids[f"{ocid}-bid-{s['B']}"]["value"] == {"amount": 3600.0, "currency": "GBP"}
    assert bids[f"{ocid}-bid-{s['C']}"]["status"] == "disqualified" and "value" not in bids[f"{ocid}-bid-{s['C']}"]
    assert bids[f"{ocid}-bid-{s['A']}"]["status"] == "valid"
    statuses = sorted(a["status"] for a in release["awards"])
    assert statuses == ["active", "unsuccessful", "unsuccessful"]
    active = next(a for a in release["awards"] if a["status"] == "active")
    assert active["suppliers"][0]["name"] == "Acorn Care Ltd" and active["value"]["amount"] == 4000.0
    assert active["relatedBids"] == [f"{ocid}-bid-{s['A']}"]
    (contract,) = release["contracts"]
    with app.app_context():
        placement = db.session.query(Placement).filter_by(referral_id=s["referral"]).one()
        assert contract["id"] == placement.code
    assert contract["awardID"] == active["id"] and contract["status"] == "pending"
    assert contract["value"] == {"amount": 4000.0, "currency": "GBP"} and "startDate" in contract["period"]


def test_no_case_reference_or_child_identifying_text(app, s):
    text = json.dumps(_package(app), ensure_ascii=False)
    with app.app_context():
        ref = db.session.get(Referral, s["referral"])
        secrets = [ref.case_reference, ref.internal_notes, ref.what_matters, ref.cultural_needs,
                   ref.education_notes, ref.religious_needs, ref.language_needs, ref.outcome_be_healthy,
                   str(ref.budget_ceiling_pence), f"{ref.budget_ceiling_pence / 100:.2f}", "6500",
                   ref.home_district, ref.preferred_district, "Moderated reason", "Our plan to help her"]
    for secret in secrets:
        assert secret and secret not in text, secret
    for field in ("case_reference", "caseReference", "internal_notes", "what_matters", "budget", "home_district"):
        assert field not in text


def test_one_ocid_per_awarded_referral_and_only_awarded(app, s):
    with app.app_context():
        council = db.session.get(Referral, s["referral"]).council
        factories.referral(council, status="price_evaluated")  # not awarded: no release
        spot = factories.placement(council)  # a spot purchase: limited method, no DPS
        db.commit()
        spot_ref = spot.referral_id
    app.config["OCDS_PREFIX"] = "ocds-abc123"
    with app.app_context():
        package = ocds.package(ocds.referrals_for())
        assert ocds.errors(package) == []
    ocids = [r["ocid"] for r in package["releases"]]
    assert ocids == [f"ocds-abc123-{s['referral']}", f"ocds-abc123-{spot_ref}"]
    spot_release = package["releases"][1]
    assert spot_release["tender"]["procurementMethod"] == "limited"
    assert spot_release["tender"]["techniques"]["hasDynamicPurchasingSystem"] is False
    assert spot_release["awards"][0]["status"] == "active" and "relatedBids" not in spot_release["awards"][0]
    with app.app_context():
        assert [r["ocid"] for r in ocds.package(ocds.referrals_for(include_spot=False))["releases"]] == ocids[:1]


def test_bids_have_values_only_after_award(app):
    with app.app_context():
        s = factories.evaluated_referral()
        awards.reveal_prices(s["referral"], s["officer"])
        db.session.flush()
        ref = s["referral"]
        assert ocds.release(ref, "ocds-x") is None  # price evaluated, not awarded: no release
        details = ocds.bid_details(ref, "ocds-x-1", ocds.submitted(ref), awarded=False)
        assert len(details) == 3 and all("value" not in d for d in details)
        awards.award(ref, s["A"].id, None, s["officer"])
        db.commit()
        valued = [b for b in ocds.release(ref, "ocds-x")["bids"]["details"] if "value" in b]
        assert len(valued) == 2


def test_cli_writes_valid_file(app, s, tmp_path):
    out = tmp_path / "ocds.json"
    result = app.test_cli_runner().invoke(args=["export", "ocds", "--out", str(out), "--prefix", "ocds-cli"])
    assert result.exit_code == 0, result.output
    package = json.loads(out.read_text(encoding="utf-8"))
    assert [r["ocid"] for r in package["releases"]] == [f"ocds-cli-{s['referral']}"]
    with app.app_context():
        assert ocds.errors(package) == []
    app.config["OCDS_PREFIX"] = "ocds-conf"
    assert app.test_cli_runner().invoke(args=["export", "ocds", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["releases"][0]["ocid"].startswith("ocds-conf-")


def test_cli_with_nothing_awarded_fails_cleanly(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", "ocds", "--out", str(tmp_path / "x.json")])
    assert result.exit_code != 0 and "no awarded competitions" in result.output
    assert not (tmp_path / "x.json").exists()


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def test_download_scope_council_sees_only_its_own(app, s):
    with app.app_context():
        other = factories.organisation("council", name="Other Council")
        other_officer = factories.user("placements_officer", org=other)
        factories.placement(other)  # the other council's spot purchase
        provider_user = factories.user("provider_admin")
        db.commit()
        other_email, provider_email = other_officer.email, provider_user.email
    mine = _client(app, s["officer_email"])
    page = mine.get("/exports")
    assert page.status_code == 200 and "Download OCDS (JSON)" in page.get_data(as_text=True)
    response = mine.get("/exports/ocds.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    package = json.loads(response.get_data(as_text=True))
    assert [r["ocid"] for r in package["releases"]] == [f"ocds-hfdemo-{s['referral']}"]
    theirs = json.loads(_client(app, other_email).get("/exports/ocds.json").get_data(as_text=True))
    assert all(r["buyer"]["name"] == "Other Council" for r in theirs["releases"]) and len(theirs["releases"]) == 1
    assert _client(app, provider_email).get("/exports/ocds.json").status_code == 403


def test_download_with_nothing_awarded_is_400_with_error_summary(app):
    with app.app_context():
        officer = factories.user("placements_officer", org=factories.organisation("council"))
        db.commit()
        email = officer.email
    client = _client(app, email)
    assert "no awarded competitions to export yet" in client.get("/exports").get_data(as_text=True)
    response = client.get("/exports/ocds.json")
    assert response.status_code == 400 and "govuk-error-summary" in response.get_data(as_text=True)


def test_dps_manager_gets_the_consortium(app, s):
    with app.app_context():
        ref = db.session.get(Referral, s["referral"])
        neighbour = factories.organisation("council", name="Neighbour Council")
        ref.dps.councils.append(neighbour)
        factories.placement(neighbour, dps_obj=ref.dps)
        manager = factories.user("dps_manager", org=ref.council)
        db.commit()
        email = manager.email
    package = json.loads(_client(app, email).get("/exports/ocds.json").get_data(as_text=True))
    assert sorted(r["buyer"]["name"] for r in package["releases"]) == ["Lewisham Council", "Neighbour Council"]
