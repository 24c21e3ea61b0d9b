"""Uploads are typed by their content, never by their name; display names are made safe."""
from __future__ import annotations

import io
import zipfile

import pytest

from portal.filetypes import DOCX, JPEG, PDF, PNG, UploadRefused, check_upload, display_name, sniff
from tests.factories import EXE_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES, docx_bytes

MB = 1024 * 1024


@pytest.mark.parametrize("data, expected", [
    (PDF_BYTES, PDF), (PNG_BYTES, PNG), (JPEG_BYTES, JPEG), (docx_bytes(), DOCX),
])
def test_accepted_types_are_recognised_by_content(data, expected):
    assert sniff(data) is expected
    assert check_upload(data, 10 * MB) is expected


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (EXE_BYTES, "The selected file is a program, not a document"),
    (b"", "The selected file is empty"),
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "must be a PDF, Word document (DOCX), PNG or JPEG"),
    (b"GIF89a" + b"\x00" * 20, "must be a PDF, Word document (DOCX), PNG or JPEG"),
    (b" %PDF-1.4 leading space is not a PDF header", "must be a PDF"),
    (_zip({"hello.txt": b"hi"}), "is a ZIP file but not a Word document (DOCX)"),
    (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"}), "not a Word document"),
    (docx_bytes(extra={"word/vbaProject.bin": b"macros"}), "not a Word document"),  # a .docm renamed
    (docx_bytes(main_type="application/vnd.ms-word.document.macroEnabled.main+xml"), "not a Word document"),
    (b"PK\x03\x04 truncated, not really a zip", "not a Word document"),
])
def test_anything_else_is_refused_with_a_clear_message(data, message):
    assert sniff(data) is None
    with pytest.raises(UploadRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_upload(data, 10 * MB)


def test_a_file_over_the_limit_is_refused_even_if_it_is_a_pdf():
    with pytest.raises(UploadRefused, match="must be smaller than 10MB"):
        check_upload(PDF_BYTES + b"\x00" * (10 * MB), 10 * MB)
    assert check_upload(PDF_BYTES + b"\x00" * (10 * MB - len(PDF_BYTES)), 10 * MB) is PDF  # exactly 10MB is fine


def test_a_zip_bomb_is_not_decompressed():
    """A huge, highly compressible [Content_Types].xml: only a bounded prefix is ever read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"\x00" * (200 * MB))
        archive.writestr("word/document.xml", b"<w:document/>")
    data = buffer.getvalue()
    assert len(data) < MB
    assert sniff(data) is None


@pytest.mark.parametrize("name, kind, expected", [
    ("Cover 2025.pdf", PDF, "Cover 2025.pdf"),
    ("Cover 2025.PDF", PDF, "Cover 2025.pdf"),
    ("C:\\fakepath\\certificate.pdf", PDF, "certificate.pdf"),
    ("../../etc/passwd", PDF, "passwd.pdf"),
    ("scan.pdf", PNG, "scan.png"),  # the extension follows what the file really is
    ("photo.jpeg", JPEG, "photo.jpeg"),
    ("policy", DOCX, "policy.docx"),
    ("policy.v2", DOCX, "policy.v2.docx"),
    ("bad\x00na\x1bme\r\n.pdf", PDF, "bad na me.pdf"),
    ('quote"s <and> pipes|.pdf', PDF, "quotes and pipes.pdf"),
    ("", PDF, "document.pdf"),
    (" . . ", PDF, "document.pdf"),
    (".hidden.pdf", PDF, "hidden.pdf"),
    ("\u202eevil\u202dfdp.exe", PDF, "evil fdp.pdf"),  # right-to-left override removed
])
def test_display_names_are_safe(name, kind, expected):
    assert display_name(name, kind) == expected


def test_display_names_are_bounded():
    name = display_name("a" * 500 + ".pdf", PDF)
    assert len(name) == 120 and name.endswith(".pdf")
