"""The Ofsted import: reconcile by URN, audit, suspend and notify, report, restart; pages and CLI."""
from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import ofsted
from portal.core import db
from portal.core.jobs import enqueue, execute_job
from portal.core.models import ROLES, AuditEvent, EmailMessage, InboxMessage, JobRun, User
from portal.models import OfstedImport, Setting
from tests import factories
from tests.conftest import csrf_from, signed_in_client
from tests.factories_ofsted import make_ofsted_csv, ofsted_row

SAMPLE = Path(__file__).resolve().parent / "data" / "ofsted_sample.csv"


@pytest.fixture
def market(ctx):
    """A provider with two homes, its admin and staff, a DPS manager, and another provider's admin."""
    provider = factories.organisation("provider", "Brightpath Care")
    m = {
        "admin": factories.user("provider_admin", org=provider),
        "staff": factories.user("provider_staff", org=provider),
        "dps": factories.user("dps_manager"),
        "other_admin": factories.user("provider_admin"),
        "oak": factories.setting(provider, name="Oak House", urn="SC100001", overall_effectiveness="Good",
                                 inspection_date=date(2024, 5, 1), registered_places=4),
        "elm": factories.setting(provider, name="Elm Lodge", urn="SC100002", overall_effectiveness="Outstanding",
                                 inspection_date=date(2023, 9, 12), registered_places=3),
    }
    db.commit()
    return m


def row(setting: Setting, n: int = 1, **changes) -> dict[str, str]:
    """An Ofsted row that matches the setting as held, with `changes` on top."""
    fields = dict(urn=setting.urn, name=setting.name, registration_status="Active",
                  places=setting.registered_places, inspection_date=setting.inspection_date,
                  overall_effectiveness=setting.overall_effectiveness)
    fields.update(changes)
    return ofsted_row(n, **fields)


def run(data: bytes, user=None, filename: str = "ofsted.csv") -> OfstedImport:
    imp = ofsted.create_import(data, filename, uploaded_by=user)
    db.commit()
    ofsted.run_import(imp.id)
    db.session.expire_all()
    return db.session.get(OfstedImport, imp.id)


def audits(action: str = "setting.ofsted_updated") -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_changes_are_applied_listed_audited_and_a_reimport_changes_nothing(market):
    oak, elm = market["oak"], market["elm"]
    data = make_ofsted_csv([row(oak, overall_effectiveness="Requires improvement", inspection_date=date(2026, 3, 3)),
                            row(elm, 2, places=5)])
    imp = run(data, market["dps"])
    assert imp.status == "completed" and imp.total_rows == imp.processed_rows == 2
    assert imp.changes_count == 3 and imp.unknown_count == imp.rejected_count == 0
    assert {(c["urn"], c["field"], c["before"], c["after"]) for c in imp.report["changes"]} == {
        ("SC100001", "overall_effectiveness", "Good", "Requires improvement to be good"),
        ("SC100001", "inspection_date", "2024-05-01", "2026-03-03"),
        ("SC100002", "registered_places", 3, 5),
    }
    db.session.refresh(oak)
    assert oak.overall_effectiveness == "Requires improvement to be good" and not oak.suspended
    trail = audits()
    assert [(e.object_id, e.actor_id) for e in trail] == [(str(oak.id), market["dps"].id),
                                                          (str(elm.id), market["dps"].id)]
    assert trail[0].before == {"overall_effectiveness": "Good", "inspection_date": "2024-05-01"}
    assert trail[0].after == {"overall_effectiveness": "Requires improvement to be good",
                              "inspection_date": "2026-03-03"}

    again = run(data, market["dps"])
    assert again.status == "completed" and again.changes_count == 0 and again.report["changes"] == []
    assert len(audits()) == 2


@pytest.mark.parametrize("options", [{"bom": True}, {"encoding": "cp1252"}], ids=["utf8-bom", "windows-1252"])
def test_bom_and_windows_1252_files_import(market, options):
    oak = market["oak"]
    data = make_ofsted_csv([row(oak, name="Oak House – Café", overall_effectiveness="Outstanding")], **options)
    imp = run(data)
    assert imp.status == "completed" and imp.changes_count == 1
    assert db.session.get(Setting, oak.id).overall_effectiveness == "Outstanding"


def test_missing_urn_column_fails_the_import_with_a_message_naming_it(market):
    data = make_ofsted_csv([row(market["oak"])], columns=["Setting name", "Registration status", "Places"])
    imp = run(data)
    assert imp.status == "failed" and imp.finished_at is not None
    assert '"URN" column' in imp.error
    assert imp.changes_count == 0 and audits() == []
    assert [(e.object_id, e.after["status"]) for e in audits("ofsted_import.failed")] == [(str(imp.id), "failed")]


def test_a_malformed_row_is_reported_with_its_row_number_and_the_rest_apply(market):
    oak, elm = market["oak"], market["elm"]
    data = make_ofsted_csv([row(oak, inspection_date="31/02/2026", overall_effectiveness="Inadequate"),
                            row(elm, 2, overall_effectiveness="Good")])
    imp = run(data)
    assert imp.status == "completed" and imp.rejected_count == 1 and imp.changes_count == 1
    assert imp.report["rejected"] == [{"row": 2, "reason": 'row 2: inspection date "31/02/2026" is not a real date'}]
    assert db.session.get(Setting, oak.id).overall_effectiveness == "Good"
    assert db.session.get(Setting, elm.id).overall_effectiveness == "Good"


def test_unknown_urns_are_listed_and_not_created(market):
    before = db.session.scalar(select(func.count()).select_from(Setting))
    imp = run(make_ofsted_csv([row(market["oak"]), ofsted_row(7, urn="SC999999", name="Nowhere House")]))
    assert imp.unknown_count == 1 and imp.changes_count == 0
    assert imp.report["unknown"] == [{"urn": "SC999999", "row": 3, "name": "Nowhere House"}]
    assert db.session.scalar(select(func.count()).select_from(Setting)) == before


def test_duplicate_urns_within_the_file_are_reported_and_only_the_first_applies(market):
    oak = market["oak"]
    imp = run(make_ofsted_csv([row(oak, places=6), row(oak, 2, places=2)]))
    assert imp.report["duplicates"] == [{"row": 3, "urn": "SC100001", "first_row": 2,
                                         "reason": 'row 3: URN "SC100001" already appears on row 2; '
                                                   'the first one is kept'}]
    assert imp.rejected_count == 1 and db.session.get(Setting, oak.id).registered_places == 6


def _messages(user) -> tuple[int, int]:
    inbox = db.session.scalar(select(func.count()).where(InboxMessage.user_id == user.id,
                                                         InboxMessage.kind == "ofsted_suspension"))
    email = db.session.scalar(select(func.count()).where(EmailMessage.user_id == user.id,
                                                         EmailMessage.kind == "ofsted_suspension"))
    return inbox, email


def test_a_drop_to_inadequate_suspends_and_notifies_once_even_if_the_job_runs_twice(market):
    oak = market["oak"]
    imp = ofsted.create_import(make_ofsted_csv([row(oak, overall_effectiveness="Inadequate",
                                                    inspection_date=date(2026, 3, 3))]), "o.csv", market["dps"])
    run_row = enqueue(ofsted.run_import, imp.id, key=f"ofsted-import:{imp.id}")
    db.commit()  # dispatches the job in-process
    ofsted.run_import(imp.id)  # a duplicate delivery of the same job
    db.session.query(JobRun).filter_by(id=run_row.id).update({"status": "queued", "attempts": 0})
    db.commit()
    assert execute_job(run_row.id) == "succeeded"  # the job itself runs again: the import is completed
    db.session.expire_all()
    oak = db.session.get(Setting, oak.id)
    assert oak.suspended and oak.suspended_reason == "Rated Inadequate by Ofsted on 3 March 2026"
    assert _messages(market["admin"]) == (1, 1) and _messages(market["dps"]) == (1, 1)
    assert _messages(market["staff"]) == (0, 0) and _messages(market["other_admin"]) == (0, 0)
    email = db.session.scalar(select(EmailMessage).where(EmailMessage.user_id == market["admin"].id,
                                                         EmailMessage.kind == "ofsted_suspension"))
    assert email.subject == "Oak House (SC100001) is suspended from new referrals"
    assert "Rated Inadequate by Ofsted on 3 March 2026." in email.body_text and email.status == "sent"
    trail = audits()
    assert len(trail) == 1 and trail[0].after["suspended"] is True
    assert db.session.get(OfstedImport, imp.id).report["suspended"][0]["urn"] == "SC100001"


def test_cancelled_registration_suspends_and_improvement_is_reported_not_lifted(market):
    oak, elm = market["oak"], market["elm"]
    elm.overall_effectiveness, elm.suspended, elm.suspended_reason = "Inadequate", True, "Rated Inadequate by Ofsted"
    db.commit()
    imp = run(make_ofsted_csv([row(oak, registration_status="Cancelled"),
                               row(elm, 2, overall_effectiveness="Good")]))
    db.session.expire_all()
    assert db.session.get(Setting, oak.id).suspended_reason == "Ofsted registration cancelled"
    elm = db.session.get(Setting, elm.id)
    assert elm.suspended and elm.overall_effectiveness == "Good"
    assert [i["detail"] for i in imp.report["improved"]] == ["now rated Good"]
    assert _messages(market["admin"]) == (1, 1)  # only the cancellation


def test_a_job_that_stops_part_way_resumes_after_the_last_committed_batch(market, monkeypatch):
    oak, elm = market["oak"], market["elm"]
    extra = factories.setting(oak.provider, urn="SC100003", registered_places=2)
    db.commit()
    monkeypatch.setattr(ofsted, "BATCH_SIZE", 2)
    data = make_ofsted_csv([row(oak, places=9), row(elm, 2, places=8), row(extra, 3, places=7)])
    imp = ofsted.create_import(data, "o.csv")
    db.commit()
    real = ofsted.apply_rows
    calls = []

    def flaky(rows, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(rows, *args, **kwargs)

    monkeypatch.setattr(ofsted, "apply_rows", flaky)
    with pytest.raises(RuntimeError):
        ofsted.run_import(imp.id)
    db.session.expire_all()
    imp = db.session.get(OfstedImport, imp.id)
    assert (imp.status, imp.processed_rows, imp.changes_count) == ("queued", 2, 2)
    assert "retried" in imp.error
    ofsted.run_import(imp.id)
    db.session.expire_all()
    imp = db.session.get(OfstedImport, imp.id)
    assert (imp.status, imp.processed_rows, imp.changes_count, imp.error) == ("completed", 3, 3, None)
    assert [c["urn"] for c in imp.report["changes"]] == ["SC100001", "SC100002", "SC100003"]
    assert db.session.get(Setting, extra.id).registered_places == 7


def test_the_demo_sample_matches_the_seed_and_imports(app, ctx):
    from portal.seed import seed
    from tests.data.make_ofsted_sample import build_sample

    seed()
    assert build_sample() == SAMPLE.read_bytes(), "run tests/data/make_ofsted_sample.py"
    dps = db.session.scalar(select(User).where(User.email == "dps@lewisham.example"))
    imp = run(SAMPLE.read_bytes(), dps)
    assert (imp.total_rows, imp.unknown_count, imp.rejected_count) == (201, 1, 1)
    assert len(imp.report["suspended"]) == 1 and len(imp.report["improved"]) == 1
    assert {c["field"] for c in imp.report["changes"]} == {"overall_effectiveness", "inspection_date"}
    assert imp.changes_count == 8
    assert run(SAMPLE.read_bytes(), dps).changes_count == 0


# --- Pages -------------------------------------------------------------------------------------

def _upload(client, data: bytes, filename: str = "ofsted.csv"):
    token = csrf_from(client.get("/dps/ofsted-imports/new").get_data(as_text=True))
    return client.post("/dps/ofsted-imports/new", data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"dps_manager"}))
def test_only_dps_managers_may_use_the_import_pages(app, role):
    client = signed_in_client(app, role)
    for url in ("/dps/ofsted-imports", "/dps/ofsted-imports/new", "/dps/ofsted-imports/1"):
        assert client.get(url).status_code == 403, url
    assert client.post("/dps/ofsted-imports/new").status_code in (400, 403)


def test_dps_manager_uploads_and_sees_the_report(app, market):
    oak, elm = market["oak"], market["elm"]
    data = make_ofsted_csv([row(oak, overall_effectiveness="Inadequate"), row(elm, 2, places="lots"),
                            ofsted_row(9, urn="SC999999"), row(oak, 4)])
    client = signed_in_client(app, "dps_manager")
    response = _upload(client, data, "Ofsted March.CSV")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ofsted March.CSV" in page and "Completed" in page
    assert "Oak House" in page and "Inadequate" in page and "Rated Inadequate by Ofsted on" in page
    assert "SC999999" in page and 'places &#34;lots&#34; is not a whole number' in page
    assert "Duplicate URNs in the file" in page and "<progress" not in page
    listing = client.get("/dps/ofsted-imports").get_data(as_text=True)
    assert "Ofsted March.CSV" in listing
    assert 'href="/dps/ofsted-imports"' in client.get("/dashboard").get_data(as_text=True)


def test_a_failed_import_shows_its_message(app, market):
    client = signed_in_client(app, "dps_manager")
    response = _upload(client, make_ofsted_csv([{"Name": "A", "Places": "3", "Registration status": "Active"}]))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The file could not be imported" in page and "The file has no &#34;URN&#34; column" in page


def test_a_running_import_shows_a_progress_bar_and_its_script(app, market):
    imp = ofsted.create_import(b"URN,Registration status\r\n", "big.csv", uploaded_by=None)
    imp.status, imp.total_rows, imp.processed_rows = "running", 10000, 2500
    db.commit()
    page = signed_in_client(app, "dps_manager").get(f"/dps/ofsted-imports/{imp.id}").get_data(as_text=True)
    assert '<progress class="hf-progress"' in page and 'max="10000" value="2500"' in page
    assert "2500 of 10000 rows" in page and "ofsted-import.js" in page and "http-equiv" not in page


@pytest.mark.parametrize("data,filename,message", [
    (None, None, "Select a CSV file"),
    (b"URN\r\nSC100001\r\n", "ofsted.xlsx", "The selected file must be a CSV"),
    (b"", "ofsted.csv", "The selected file is empty"),
    (b"PK\x03\x04rest", "ofsted.csv", "not an Excel workbook"),
    (b"URN,Places\r\n" + b"x" * (10 * 1024 * 1024), "ofsted.csv", "The selected file must be smaller than 10MB"),
])
def test_upload_errors(app, data, filename, message):
    client = signed_in_client(app, "dps_manager")
    if data is None:
        token = csrf_from(client.get("/dps/ofsted-imports/new").get_data(as_text=True))
        response = client.post("/dps/ofsted-imports/new", data={"csrf_token": token},
                               content_type="multipart/form-data")
    else:
        response = _upload(client, data, filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and "govuk-error-summary" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OfstedImport)) == 0


# --- Command line ------------------------------------------------------------------------------

def test_cli_prints_a_summary_then_one_json_line_per_item(app, market, tmp_path):
    oak, elm = market["oak"], market["elm"]
    path = tmp_path / "ofsted.csv"
    path.write_bytes(make_ofsted_csv([row(oak, overall_effectiveness="Inadequate"), row(elm, 2, places="-3"),
                                      ofsted_row(9, urn="SC999999"), row(oak, 4)]))
    result = app.test_cli_runner().invoke(args=["ofsted", "import", str(path)])
    assert result.exit_code == 0, result.output
    summary, *lines = result.output.strip().splitlines()
    assert re.fullmatch(r"Import \d+ of ofsted\.csv: 4 rows, 1 change, 1 unknown URN, 2 rejected rows, "
                        r"1 setting suspended\.", summary)
    assert [json.loads(line) for line in lines] == [
        {"type": "change", "urn": "SC100001", "field": "overall_effectiveness", "before": "Good",
         "after": "Inadequate"},
        {"type": "unknown_urn", "urn": "SC999999", "row": 4},
        {"type": "rejected", "row": 3, "reason": 'row 3: places "-3" cannot be negative'},
        {"type": "rejected", "row": 5,
         "reason": 'row 5: URN "SC100001" already appears on row 2; the first one is kept'},
    ]
    again = app.test_cli_runner().invoke(args=["ofsted", "import", str(path)])
    assert again.exit_code == 0 and ", 0 changes," in again.output.splitlines()[0]


def test_cli_exits_non_zero_on_a_whole_file_error(app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Name,Places\r\nA,3\r\n")
    result = app.test_cli_runner().invoke(args=["ofsted", "import", str(path)])
    assert result.exit_code != 0
    assert 'failed: The file has no "URN" column' in result.output
