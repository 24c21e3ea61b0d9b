"""Providers' documents: upload typed by content, supersede, remove, ownership, expiry reminders."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent, EmailMessage, InboxMessage
from portal.documents import insurance_status, reminder_due, send_document_expiry_reminders
from portal.models import Document
from tests import factories
from tests.conftest import csrf_from, sign_in, submit

TODAY = date.today()
NEXT_YEAR = TODAY + timedelta(days=365)
INSURANCE = {"kind": "public_liability", "cover": "£5,000,000", "setting": "",
             "expires_on": [str(NEXT_YEAR.day), str(NEXT_YEAR.month), str(NEXT_YEAR.year)]}


def _provider(app, role="provider_admin", org=None):
    with app.app_context():
        user = factories.user(role, org=db.session.merge(org) if org is not None else None)
        db.commit()
        return user.email, user.organisation_id, user.organisation


def _client(app, role="provider_admin", org=None):
    email, org_id, organisation = _provider(app, role, org)
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client, org_id, organisation


def _upload(client, data: bytes, filename: str = "certificate.pdf", **fields):
    form = {**INSURANCE, **fields, "file": (io.BytesIO(data), filename)}
    return submit(client, "/documents/new", form, content_type="multipart/form-data")


def _stored_files(app) -> list[Path]:
    root = Path(app.config["DOCUMENTS_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _documents(app) -> list[Document]:
    with app.app_context():
        return list(db.session.scalars(select(Document).order_by(Document.id)))


def _page(client, url: str) -> str:
    return client.get(url).get_data(as_text=True)


# --- uploading ------------------------------------------------------------------------------------

def test_admin_uploads_an_insurance_certificate_and_sees_it_listed(app):
    client, org_id, _ = _client(app)
    response = _upload(client, factories.PDF_BYTES, "../../home/priya/PL cert 2025.pdf")
    assert response.status_code == 302, response.get_data(as_text=True)
    [doc] = _documents(app)
    assert (doc.kind, doc.status, doc.organisation_id) == ("public_liability", "current", org_id)
    assert (doc.cover_amount_pence, doc.expires_on) == (500_000_000, NEXT_YEAR)
    assert (doc.filename, doc.content_type, doc.size_bytes) == ("PL cert 2025.pdf", "application/pdf",
                                                                len(factories.PDF_BYTES))
    assert re.fullmatch(rf"documents/{org_id}/[0-9a-f]{{32}}\.pdf", doc.storage_key)  # generated, not the name
    [stored] = _stored_files(app)
    assert stored.read_bytes() == factories.PDF_BYTES and "PL cert" not in str(stored)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.uploaded"))
        assert event.object_id == str(doc.id) and event.after["cover_amount_pence"] == 500_000_000

    page = _page(client, response.headers["Location"])
    assert "Public liability insurance uploaded" in page and "£5,000,000.00" in page and "PL cert 2025.pdf" in page
    listing = _page(client, "/documents")
    assert "PL cert 2025.pdf" in listing and "£5,000,000.00" in listing
    assert listing.count("govuk-tag--red\">Missing") == 2  # employer's liability and professional indemnity
    assert "Current" in listing


def test_a_renamed_executable_is_refused_and_nothing_is_stored(app):
    client, _, _ = _client(app)
    response = _upload(client, factories.EXE_BYTES, "certificate.pdf")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and "The selected file is a program, not a document" in page
    assert _documents(app) == [] and _stored_files(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.object_type == "document")) == 0


@pytest.mark.parametrize("data, message", [
    (b"", "The selected file is empty"),
    (b"<html><body>hello</body></html>", "The selected file must be a PDF, Word document (DOCX), PNG or JPEG"),
    (b"PK\x03\x04" + b"\x00" * 50, "ZIP file but not a Word document"),
])
def test_other_content_is_refused(app, data, message):
    client, _, _ = _client(app)
    response = _upload(client, data, "policy.pdf")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _documents(app) == [] and _stored_files(app) == []


def test_a_docx_policy_is_accepted_without_cover_or_expiry(app):
    client, _, _ = _client(app)
    response = _upload(client, factories.docx_bytes(), "Safeguarding policy.docx", kind="safeguarding_policy",
                       cover="", expires_on=["", "", ""])
    assert response.status_code == 302, response.get_data(as_text=True)
    [doc] = _documents(app)
    assert doc.kind == "safeguarding_policy" and doc.filename == "Safeguarding policy.docx"
    assert doc.content_type.endswith("wordprocessingml.document") and doc.storage_key.endswith(".docx")
    assert doc.cover_amount_pence is None and doc.expires_on is None


def test_an_image_named_pdf_is_stored_as_what_it_is(app):
    client, _, _ = _client(app)
    assert _upload(client, factories.PNG_BYTES, "scan.pdf").status_code == 302
    [doc] = _documents(app)
    assert (doc.filename, doc.content_type) == ("scan.png", "image/png") and doc.storage_key.endswith(".png")


def test_an_oversized_file_is_refused_with_a_clear_message(app):
    client, _, _ = _client(app)
    response = _upload(client, factories.PDF_BYTES + b"\x00" * (10 * 1024 * 1024), "big.pdf")
    assert response.status_code == 400
    assert "The selected file must be smaller than 10MB" in response.get_data(as_text=True)
    assert _documents(app) == [] and _stored_files(app) == []


@pytest.mark.parametrize("fields, message", [
    ({"cover": ""}, "Enter the cover amount"),
    ({"cover": "lots"}, "Enter the cover amount in pounds, like 5,000,000"),
    ({"cover": "0"}, "Cover amount must be more than £0"),
    ({"cover": "-5"}, "Enter the cover amount in pounds"),
    ({"cover": "1.234"}, "Enter the cover amount in pounds"),
    ({"expires_on": ["", "", ""]}, "Enter the date the insurance expires"),
    ({"expires_on": ["31", "2", "2030"]}, "Expiry date must be a real date"),
    ({"expires_on": ["1", "1", "2020"]}, "The insurance has already expired"),
    ({"kind": "not_a_kind"}, "Select the kind of document"),
    ({"kind": "statement_of_purpose"}, "Select the home this statement of purpose is for"),
])
def test_insurance_needs_cover_and_expiry_and_bad_input_is_400(app, fields, message):
    client, _, _ = _client(app)
    response = _upload(client, factories.PDF_BYTES, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _documents(app) == [] and _stored_files(app) == []


def test_a_statement_of_purpose_is_for_one_of_the_providers_own_open_homes(app):
    client, org_id, org = _client(app)
    with app.app_context():
        home = factories.setting(db.session.merge(org), name="Ash House")
        closed = factories.setting(db.session.merge(org), name="Closed House", status="closed")
        other = factories.setting(factories.organisation("provider"), name="Not Yours")
        db.commit()
        home_id, closed_id, other_id = home.id, closed.id, other.id
    form = _page(client, "/documents/new")
    assert "Ash House" in form and "Closed House" not in form and "Not Yours" not in form
    for bad in (closed_id, other_id):
        response = _upload(client, factories.PDF_BYTES, kind="statement_of_purpose", setting=str(bad))
        assert response.status_code == 400
        assert "Select the home this statement of purpose is for" in response.get_data(as_text=True)
    assert _documents(app) == []
    assert _upload(client, factories.PDF_BYTES, kind="statement_of_purpose", setting=str(home_id)).status_code == 302
    [doc] = _documents(app)
    assert doc.setting_id == home_id and doc.cover_amount_pence is None and doc.expires_on is None
    assert "Ash House" in _page(client, "/documents")


def test_a_new_upload_supersedes_the_previous_one_of_the_same_kind(app):
    client, org_id, org = _client(app)
    with app.app_context():
        a, b = factories.setting(db.session.merge(org), name="Ash"), factories.setting(db.session.merge(org),
                                                                                       name="Beech")
        db.commit()
        a_id, b_id = a.id, b.id
    assert _upload(client, factories.PDF_BYTES, "pl-2024.pdf").status_code == 302
    assert _upload(client, factories.PDF_BYTES, "el.pdf", kind="employers_liability").status_code == 302
    assert _upload(client, factories.PDF_BYTES, "sop-ash.pdf", kind="statement_of_purpose",
                   setting=str(a_id)).status_code == 302
    assert _upload(client, factories.PDF_BYTES, "sop-beech.pdf", kind="statement_of_purpose",
                   setting=str(b_id)).status_code == 302
    assert _upload(client, factories.PDF_BYTES, "pl-2025.pdf", cover="10000000").status_code == 302
    assert _upload(client, factories.PDF_BYTES, "sop-ash-v2.pdf", kind="statement_of_purpose",
                   setting=str(a_id)).status_code == 302
    status = {d.filename: d.status for d in _documents(app)}
    assert status == {"pl-2024.pdf": "superseded", "el.pdf": "current", "sop-ash.pdf": "superseded",
                      "sop-beech.pdf": "current", "pl-2025.pdf": "current", "sop-ash-v2.pdf": "current"}
    listing = _page(client, "/documents")
    current, _, previous = listing.partition("Previous versions")
    assert "pl-2025.pdf" in current and "£10,000,000.00" in current and "pl-2024.pdf" not in current
    assert "pl-2024.pdf" in previous and "sop-ash.pdf" in previous and "sop-beech.pdf" not in previous
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "document.superseded")) == 2
        old = db.session.scalar(select(Document).where(Document.filename == "pl-2024.pdf"))
    assert "Previous version" in _page(client, f"/documents/{old.id}")  # still viewable and downloadable
    assert client.get(f"/documents/{old.id}/download").status_code == 302


# --- viewing, downloading, removing ---------------------------------------------------------------

def test_download_goes_through_a_short_lived_signed_link(app):
    client, _, _ = _client(app)
    _upload(client, factories.PDF_BYTES, "cert.pdf")
    [doc] = _documents(app)
    page = _page(client, f"/documents/{doc.id}")
    assert f'href="/documents/{doc.id}/download"' in page and doc.storage_key not in page
    response = client.get(f"/documents/{doc.id}/download")
    assert response.status_code == 302 and "/documents/download/" in response.headers["Location"]
    file = client.get(response.headers["Location"])
    assert file.status_code == 200 and file.data == factories.PDF_BYTES
    assert file.headers["Content-Type"] == "application/pdf"
    assert file.headers["Content-Disposition"] == 'attachment; filename="cert.pdf"'
    with freeze_time(datetime.now(timezone.utc) + timedelta(seconds=app.config["DOCUMENT_LINK_SECONDS"] + 5)):
        assert client.get(response.headers["Location"]).status_code == 410  # the link has expired


def test_staff_view_and_download_but_cannot_upload_or_remove(app):
    admin, org_id, org = _client(app)
    _upload(admin, factories.PDF_BYTES, "cert.pdf")
    [doc] = _documents(app)
    staff, _, _ = _client(app, "provider_staff", org=org)
    assert "cert.pdf" in _page(staff, "/documents") and "Upload a document" not in _page(staff, "/documents")
    page = _page(staff, f"/documents/{doc.id}")
    assert "Download cert.pdf" in page and "Remove this document" not in page
    assert staff.get(f"/documents/{doc.id}/download").status_code == 302
    assert staff.get("/documents/new").status_code == 403
    assert staff.get(f"/documents/{doc.id}/remove").status_code == 403


def test_another_providers_document_is_404_to_view_download_and_remove(app):
    owner, _, _ = _client(app)
    _upload(owner, factories.PDF_BYTES, "theirs.pdf")
    [doc] = _documents(app)
    intruder, _, _ = _client(app)
    token = csrf_from(_page(intruder, "/documents/new"))
    for method, url in (("GET", f"/documents/{doc.id}"), ("GET", f"/documents/{doc.id}/download"),
                        ("GET", f"/documents/{doc.id}/remove"), ("POST", f"/documents/{doc.id}/remove")):
        assert intruder.open(url, method=method, data={"csrf_token": token}).status_code == 404, (method, url)
    assert "theirs.pdf" not in _page(intruder, "/documents")
    assert [d.status for d in _documents(app)] == ["current"]


def test_removing_marks_deleted_keeps_the_file_and_audits(app):
    client, org_id, _ = _client(app)
    _upload(client, factories.PDF_BYTES, "cert.pdf")
    [doc] = _documents(app)
    assert "Are you sure you want to remove cert.pdf?" in _page(client, f"/documents/{doc.id}/remove")
    response = submit(client, f"/documents/{doc.id}/remove", {})
    assert response.status_code == 302
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Public liability insurance (cert.pdf) has been removed" in listing
    assert listing.count("govuk-tag--red\">Missing") == 3
    [doc] = _documents(app)
    assert doc.status == "deleted" and len(_stored_files(app)) == 1  # kept for the audit trail
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.deleted"))
        assert event.before == {"status": "current"} and event.after == {"status": "deleted"}
    assert client.get(f"/documents/{doc.id}").status_code == 404
    assert client.get(f"/documents/{doc.id}/download").status_code == 404


def test_insurance_status_is_missing_expired_or_current(app):
    with app.app_context():
        org = factories.organisation("provider")
        factories.document(org, "public_liability", expires_on=TODAY - timedelta(days=1))
        factories.document(org, "employers_liability", expires_on=TODAY)
        factories.document(org, "professional_indemnity", status="superseded")
        factories.document(org, "safeguarding_policy")
        factories.document(factories.organisation("provider"), "professional_indemnity")
        db.commit()
        status = {kind: (s, d.kind if d else None) for kind, (s, d) in insurance_status(org.id, TODAY).items()}
    assert status == {"public_liability": ("expired", "public_liability"),
                      "employers_liability": ("current", "employers_liability"),
                      "professional_indemnity": ("missing", None)}


# --- expiry reminders -----------------------------------------------------------------------------

EXPIRES = date(2026, 6, 30)


def _at(days_before: int) -> datetime:
    """09:00 UTC on the day `days_before` the expiry date."""
    day = EXPIRES - timedelta(days=days_before)
    return datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)


def _run(app, days_before: int) -> list[tuple[int, str]]:
    with freeze_time(_at(days_before)), app.app_context():
        send_document_expiry_reminders()
        return sorted((m.user_id, m.key.rsplit(":", 1)[1]) for m in db.session.scalars(select(InboxMessage)))


def _reminder_people(app):
    with app.app_context():
        admin = factories.user("provider_admin")
        org = admin.organisation
        second = factories.user("provider_admin", org=org)
        factories.user("provider_staff", org=org)  # staff are not told
        factories.user("provider_admin", org=org, password=None)  # invited, not active
        factories.user("provider_admin")  # another provider
        db.commit()
        return admin.id, second.id, org


def test_reminders_go_once_at_30_and_once_at_7_days_to_active_admins(app):
    admin, second, org = _reminder_people(app)
    with app.app_context():
        doc = factories.document(db.session.merge(org), "employers_liability", expires_on=EXPIRES,
                                 filename="el.pdf")
        db.commit()
        doc_id = doc.id
    thirty = [(admin, "30"), (second, "30")]
    both = sorted(thirty + [(admin, "7"), (second, "7")])
    assert _run(app, 31) == []
    assert _run(app, 30) == thirty
    assert _run(app, 30) == thirty  # the next 6-hourly run that day
    assert _run(app, 29) == thirty
    assert _run(app, 8) == thirty
    assert _run(app, 7) == both
    assert _run(app, 6) == both
    assert _run(app, 0) == both
    assert _run(app, -1) == both
    with app.app_context():
        emails = db.session.scalars(select(EmailMessage).order_by(EmailMessage.id)).all()
        assert len(emails) == 4 and all(e.status == "sent" for e in emails)
        assert emails[0].subject == "Your employer's liability insurance expires in 30 days"
        assert emails[-1].subject == "Your employer's liability insurance expires in 7 days"
        assert "el.pdf" in emails[0].body_text and "30 June 2026" in emails[0].body_text
        assert "http://localhost/documents" in emails[0].body_text
        assert all(m.key.startswith("document_expiry:") and f":document:{doc_id}:" in m.key
                   for m in db.session.scalars(select(InboxMessage)))


def test_a_missed_day_is_caught_up_but_never_the_30_day_reminder_after_the_7_day_one(app):
    admin, second, org = _reminder_people(app)
    with app.app_context():
        org = db.session.merge(org)
        late = factories.document(org, "public_liability", expires_on=EXPIRES)  # 29 days left at the first run
        later = factories.document(org, "employers_liability", expires_on=EXPIRES - timedelta(days=24))  # 5 left
        db.commit()
        late_id, later_id = late.id, later.id
    first = _run(app, 29)
    assert first == sorted([(admin, "30"), (second, "30"), (admin, "7"), (second, "7")])
    assert _run(app, 28) == first and _run(app, 25) == first
    with app.app_context():
        keys = {m.key for m in db.session.scalars(select(InboxMessage))}
    assert keys == {f"document_expiry:{u}:document:{d}:{t}" for u in (admin, second)
                    for d, t in ((late_id, 30), (later_id, 7))}  # never the 30-day one for the later document


def test_no_reminders_for_superseded_deleted_policies_or_expired_documents(app):
    admin, second, org = _reminder_people(app)
    with app.app_context():
        org = db.session.merge(org)
        factories.document(org, "public_liability", expires_on=EXPIRES, status="superseded")
        factories.document(org, "employers_liability", expires_on=EXPIRES, status="deleted")
        factories.document(org, "safeguarding_policy", expires_on=EXPIRES)  # not insurance
        factories.document(org, "professional_indemnity", expires_on=EXPIRES - timedelta(days=40))  # long expired
        db.commit()
    for days in (30, 7, 0):
        assert _run(app, days) == []


def test_which_reminder_is_due():
    assert [reminder_due(EXPIRES, EXPIRES - timedelta(days=d)) for d in (45, 31, 30, 12, 8, 7, 1, 0, -1)] == [
        None, None, 30, 30, 30, 7, 7, 7, None]


def test_reminder_job_runs_every_six_hours():
    from portal.core.jobs import PERIODIC

    assert PERIODIC["portal.documents:send_document_expiry_reminders"][1] == timedelta(hours=6)


def test_no_file_selected_is_an_error(app):
    client, _, _ = _client(app)
    response = submit(client, "/documents/new", {**INSURANCE}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Select a file" in response.get_data(as_text=True)


def test_the_service_itself_refuses_what_the_form_would(app):
    """Defence in depth: a caller that skips the form still cannot store a program or bad insurance."""
    from portal.documents import UploadInput, upload_document
    from portal.services import FieldError

    with app.app_context():
        user = factories.user("provider_admin")
        cases = [
            (UploadInput("public_liability", factories.EXE_BYTES, "x.pdf", cover_pence=1, expires_on=NEXT_YEAR),
             "file"),
            (UploadInput("public_liability", factories.PDF_BYTES, "x.pdf", cover_pence=0, expires_on=NEXT_YEAR),
             "cover"),
            (UploadInput("public_liability", factories.PDF_BYTES, "x.pdf", cover_pence=1), "expires_on"),
            (UploadInput("statement_of_purpose", factories.PDF_BYTES, "x.pdf", setting_id=None), "setting"),
            (UploadInput("passport", factories.PDF_BYTES, "x.pdf"), "kind"),
        ]
        for data, field in cases:
            with pytest.raises(FieldError) as refused:
                upload_document(user, data)
            assert refused.value.field == field
        db.session.rollback()
    assert _documents(app) == [] and _stored_files(app) == []
