"""Uploads under attack: oversized requests, disguised content, ZIP bombs, polyglots, hostile filenames, and
documents reachable only through a short-lived signed link.

Polyglots: a file that is a genuine PDF, PNG or JPEG by its first bytes is accepted even if it also carries
HTML or script further on (that cannot be told apart from a real document reliably); it is safe because it is
only ever served as a download: `Content-Disposition: attachment`, the type its content was recognised as, and
`X-Content-Type-Options: nosniff`, so no browser renders it as a page. Anything not recognised is refused.
"""
from __future__ import annotations

import io
import re
import zipfile
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from portal.core import db
from portal.filetypes import DOCX, UploadRefused, check_upload
from portal.models import MAX_DOCUMENT_BYTES, Document
from tests import factories
from tests.conftest import sign_in, submit
from tests.test_documents import INSURANCE

MB = 1024 * 1024
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def provider(app):
    with app.app_context():
        user = factories.user("provider_admin")
        db.commit()
        email = user.email
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def _upload(client, data: bytes, filename: str):
    form = {**INSURANCE, "file": (io.BytesIO(data), filename)}
    return submit(client, "/documents/new", form, page="/documents/new", content_type="multipart/form-data")


def _documents(app) -> list[Document]:
    with app.app_context():
        return list(db.session.scalars(select(Document).order_by(Document.id)))


def _stored(app) -> list[Path]:
    root = Path(app.config["DOCUMENTS_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _refused(app, response, message: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[:500]
    assert "govuk-error-summary" in body and message in body
    assert _documents(app) == [] and _stored(app) == []


def _download(client, doc: Document):
    link = client.get(f"/documents/{doc.id}/download")
    assert link.status_code == 302
    return link.headers["Location"], client.get(link.headers["Location"])


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- size ----------------------------------------------------------------------------------------------------

def test_a_request_over_the_size_limit_gets_a_gov_uk_page_not_a_raw_413(app, provider):
    response = _upload(provider, factories.PDF_BYTES + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + MB), "big.pdf")
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "govuk-template" in body and "The file is too large" in body and "smaller than 10MB" in body
    assert "Request Entity Too Large" not in body
    assert _documents(app) == [] and _stored(app) == []


def test_a_file_just_over_the_document_limit_is_a_form_error(app, provider):
    data = factories.PDF_BYTES + b"\x00" * (MAX_DOCUMENT_BYTES + 1 - len(factories.PDF_BYTES))
    _refused(app, _upload(provider, data, "big.pdf"), "The selected file must be smaller than 10MB")


# --- content sniffing ----------------------------------------------------------------------------------------

REFUSED = [
    (HTML, "certificate.pdf", "The selected file must be a PDF, Word document (DOCX), PNG or JPEG"),
    (b"\xef\xbb\xbf" + HTML + b"%PDF-1.4", "certificate.pdf", "must be a PDF"),  # %PDF- must come first
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.png", "must be a PDF"),
    (factories.EXE_BYTES, "certificate.pdf", "The selected file is a program, not a document"),
    (b"GIF89a/*\x00\x00*/=alert(document.domain)//;", "photo.jpg", "must be a PDF"),  # a GIF/JS polyglot
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "certificate.pdf", "must be a PDF"),
    (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}), "prices.xlsx",
     "The selected file is a ZIP file but not a Word document (DOCX)"),
    (b"", "empty.pdf", "The selected file is empty"),
]


def test_content_decides_never_the_name(app, provider):
    for data, name, message in REFUSED:
        _refused(app, _upload(provider, data, name), message)


# --- ZIP bombs ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _bomb(megabytes: int) -> bytes:
    return factories.docx_bytes(extra={"word/media/padding.xml": b"\x00" * (megabytes * MB)})


def test_a_docx_that_expands_enormously_is_refused_unopened():
    """120MB of zeros in one entry compress to about 120KB: a 1,000 to 1 bomb."""
    bomb = _bomb(120)
    assert len(bomb) < MB
    with pytest.raises(UploadRefused, match="too large when it is opened"):
        check_upload(bomb, MAX_DOCUMENT_BYTES)


def test_a_docx_with_an_absurd_compression_ratio_is_refused():
    """Under the size cap, but 20MB squeezed into 20KB: no real Word document compresses like that."""
    bomb = _bomb(20)
    with pytest.raises(UploadRefused, match="too large when it is opened"):
        check_upload(bomb, MAX_DOCUMENT_BYTES)


def test_an_ordinary_docx_with_text_and_pictures_is_accepted():
    import random

    noise = random.Random(7).randbytes(200_000)  # a photo: hardly compresses
    text = b"<w:p><w:r><w:t>Our fire safety policy, reviewed every year.</w:t></w:r></w:p>" * 2000
    assert check_upload(factories.docx_bytes(extra={"word/media/image1.png": noise, "word/styles.xml": text}),
                        MAX_DOCUMENT_BYTES) == DOCX


def test_a_bomb_through_the_form_is_a_gov_uk_error(app, provider):
    bomb = _bomb(120)
    _refused(app, _upload(provider, bomb, "policy.docx"), "too large when it is opened")


# --- polyglots -------------------------------------------------------------------------------------------------

POLYGLOTS = [
    (b"%PDF-1.4\n" + HTML + b"\n%%EOF\n", "report.html", "application/pdf"),
    (factories.PNG_BYTES + HTML, "picture.svg", "image/png"),
    (factories.JPEG_BYTES + b"<script>alert(1)</script>", "photo.jpg", "image/jpeg"),
]


def test_a_polyglot_is_only_ever_a_download_of_its_real_type(app, provider):
    for data, name, content_type in POLYGLOTS:
        assert _upload(provider, data, name).status_code == 302
        doc = _documents(app)[-1]
        assert doc.content_type == content_type and not doc.filename.endswith((".html", ".svg"))
        _, response = _download(provider, doc)
        assert response.status_code == 200 and response.data == data
        assert response.headers["Content-Type"] == content_type  # never text/html, no charset guessing
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"]


# --- filenames -------------------------------------------------------------------------------------------------

FILENAMES = [
    ("../../../../etc/passwd.pdf", "passwd.pdf"),
    ("cert\t\x0b\x1b[31m\x7f.exe.pdf", "cert [31m .exe.pdf"),  # controls, including terminal escapes
    ("invoice\u202efdp.exe", "invoice fdp.pdf"),  # right-to-left override: would show as "invoiceexe.pdf"
    ("Café – insurance 保险.pdf", "Café – insurance 保险.pdf"),
    ("x" * 5000 + ".pdf", "x" * 116 + ".pdf"),
]


def test_hostile_filenames_are_made_safe_and_still_download(app, provider):
    root = Path(app.config["DOCUMENTS_DIR"]).resolve()
    for name, shown in FILENAMES:
        assert _upload(provider, factories.PDF_BYTES, name).status_code == 302
        doc = _documents(app)[-1]
        assert doc.filename == shown
        path = (root / doc.storage_key).resolve()
        assert path.is_file() and path.is_relative_to(root) and re.fullmatch(r"[0-9a-f]{32}\.pdf", path.name)
        _, response = _download(provider, doc)
        assert response.status_code == 200 and response.data == factories.PDF_BYTES
        disposition = response.headers["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition
        disposition.encode("latin-1")  # WSGI servers (gunicorn) send only Latin-1 headers: anything else is a 500
        offered = re.search(r"filename\*=UTF-8''([^;]+)", disposition) or re.search(r'filename="([^"]*)"',
                                                                                    disposition)
        assert unquote(offered.group(1)) == shown
    assert len(_stored(app)) == len(FILENAMES)  # every file inside the store, under its random key


def test_a_nul_byte_in_a_filename_is_refused_with_a_gov_uk_page(app, provider):
    response = _upload(provider, factories.PDF_BYTES, "cert\x00.exe.pdf")
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "govuk-template" in body and "characters that are not allowed" in body
    assert _documents(app) == [] and _stored(app) == []


# --- links ------------------------------------------------------------------------------------------------------

def test_documents_are_never_at_a_guessable_address(app, provider):
    assert _upload(provider, factories.PDF_BYTES, "cert.pdf").status_code == 302
    _upload(provider, factories.PDF_BYTES, "cert2.pdf")
    docs = _documents(app)
    keys = [d.storage_key for d in docs]
    assert all(re.fullmatch(rf"documents/{d.organisation_id}/[0-9a-f]{{32}}\.pdf", d.storage_key) for d in docs)
    assert len(set(keys)) == 2
    # The stored file is not served at its key, under /static or the download route without a token.
    for url in [f"/{keys[0]}", f"/static/{keys[0]}", f"/documents/download/{keys[0]}", "/documents/download/",
                f"/documents/download/{docs[0].id}"]:
        response = provider.get(url)
        assert response.status_code in (404, 410) and response.data != factories.PDF_BYTES, url
    # A token for another key, or signed with another secret, is refused.
    forged = URLSafeTimedSerializer("not-the-secret", salt="homefinder.document-link").dumps(
        {"k": keys[0], "f": "x.pdf", "t": "application/pdf"})
    url, _ = _download(provider, docs[1])
    token = url.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (forged, tampered):
        response = provider.get(f"/documents/download/{bad}")
        assert response.status_code == 410 and "This download link is not valid" in response.get_data(as_text=True)


class _Clock:
    """The signing library's clock alone (freezegun would patch every loaded module, at some cost)."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def test_a_signed_link_works_only_for_its_short_life_and_for_anyone_who_has_it(app, provider, monkeypatch):
    assert _upload(provider, factories.PDF_BYTES, "cert.pdf").status_code == 302
    [doc] = _documents(app)
    clock = _Clock(time.time())
    monkeypatch.setattr(itsdangerous.timed, "time", clock)
    url, first = _download(provider, doc)
    assert first.status_code == 200
    seconds = app.config["DOCUMENT_LINK_SECONDS"]
    stranger = app.test_client()  # the link is the permission, like an S3 presigned URL: so it must be short-lived
    clock.now += seconds - 5
    assert stranger.get(url).status_code == 200
    clock.now += 6
    expired = stranger.get(url)
    assert expired.status_code == 410 and expired.data != factories.PDF_BYTES
    assert "This download link has expired" in expired.get_data(as_text=True)
    fresh = provider.get(f"/documents/{doc.id}/download")  # the owner simply asks for a new one
    assert provider.get(fresh.headers["Location"]).status_code == 200
    # Someone signed out (or of another provider) cannot get a link at all.
    assert stranger.get(f"/documents/{doc.id}/download").status_code in (302, 401, 404)
