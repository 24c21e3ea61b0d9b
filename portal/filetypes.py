"""What an uploaded file really is, judged by its content, never by its name or the browser's word.

    kind = sniff(data)                    # FileType or None
    kind = check_upload(data, max_bytes)  # FileType, or UploadRefused with a message fit to show
    name = display_name("C:\\fakepath\\Cover 2025.PDF", kind)   # "Cover 2025.PDF"

Accepted: PDF (starts "%PDF-"), DOCX (a ZIP whose entries include [Content_Types].xml and
word/document.xml and whose content types declare a Word document, not a macro-enabled one), PNG
(its 8-byte signature) and JPEG (FF D8 FF). A DOCX is inspected with zipfile reading only the
central directory and at most MAX_CONTENT_TYPES_BYTES of one small entry, so a ZIP bomb costs
nothing to check; and a ZIP whose entries declare more than MAX_UNCOMPRESSED_BYTES in all, or which
expands more than MAX_COMPRESSION_RATIO times, is refused, so it never reaches anyone who would open it.
Pure: no Flask, no database.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    name: str
    ext: str  # the extension a stored file gets
    content_type: str
    also: tuple[str, ...] = ()  # other extensions that mean the same type

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.ext, *self.also)


PDF = FileType("PDF", "pdf", "application/pdf")
DOCX = FileType("Word document", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
PNG = FileType("PNG image", "png", "image/png")
JPEG = FileType("JPEG image", "jpg", "image/jpeg", ("jpeg",))
TYPES = (PDF, DOCX, PNG, JPEG)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"
MAX_ZIP_ENTRIES = 5000
MAX_CONTENT_TYPES_BYTES = 256 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100  # real Word documents: text about 10 to 1, pictures about 1 to 1
RATIO_FLOOR_BYTES = 1024 * 1024  # small files may compress well; only the ratio of big expansions matters
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ALLOWED_TEXT = "a PDF, Word document (DOCX), PNG or JPEG"
MAX_DISPLAY_NAME = 120
# Extensions replaced (not kept) when the content says otherwise: "scan.pdf" that is a PNG is "scan.png".
_KNOWN_EXTENSIONS = {"pdf", "docx", "doc", "docm", "dotx", "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff",
                     "heic", "webp", "exe", "dll", "msi", "bat", "cmd", "com", "scr", "js", "vbs", "ps1", "sh",
                     "zip", "rar", "7z", "html", "htm", "svg", "xml", "txt", "rtf", "odt", "xls", "xlsx", "csv"}
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


class UploadRefused(ValueError):
    """The upload is not acceptable; the message is fit to show the user."""


def expands_too_far(data: bytes) -> bool:
    """A ZIP (DOCX, XLSX…) whose entries declare an enormous total size, or an implausible compression ratio.
    Reads only the central directory: nothing is decompressed."""
    if not data.startswith(ZIP_SIGNATURE):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, OSError,
            ValueError):
        return False
    total = sum(info.file_size for info in infos[:MAX_ZIP_ENTRIES + 1])
    return total > MAX_UNCOMPRESSED_BYTES or (total > RATIO_FLOOR_BYTES and total > MAX_COMPRESSION_RATIO * len(data))


def _is_docx(data: bytes) -> bool:
    if not data.startswith(ZIP_SIGNATURE):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES or expands_too_far(data):
                return False
            names = {info.filename for info in infos}
            if not {"[Content_Types].xml", "word/document.xml"} <= names:
                return False
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return False  # macros: a .docm renamed
            with archive.open("[Content_Types].xml") as stream:
                content_types = stream.read(MAX_CONTENT_TYPES_BYTES)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, OSError,
            ValueError, KeyError):
        return False
    return DOCX_MAIN in content_types


def sniff(data: bytes) -> FileType | None:
    """The accepted type the bytes are, or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(PNG_SIGNATURE):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if _is_docx(data):
        return DOCX
    return None


def _describe(data: bytes) -> str:
    if data.startswith(b"MZ"):
        return "The selected file is a program, not a document. Upload " + ALLOWED_TEXT
    if data.startswith(ZIP_SIGNATURE):
        return "The selected file is a ZIP file but not a Word document (DOCX). Upload " + ALLOWED_TEXT
    return "The selected file must be " + ALLOWED_TEXT


def check_upload(data: bytes, max_bytes: int) -> FileType:
    """Refuse an empty, oversized or unrecognised file; otherwise return its type."""
    if not data:
        raise UploadRefused("The selected file is empty")
    if len(data) > max_bytes:
        raise UploadRefused(f"The selected file must be smaller than {max_bytes // (1024 * 1024)}MB")
    if expands_too_far(data):
        raise UploadRefused("The selected file is too large when it is opened (it may be a ZIP bomb). Upload "
                            + ALLOWED_TEXT)
    kind = sniff(data)
    if kind is None:
        raise UploadRefused(_describe(data))
    return kind


def display_name(filename: str | None, kind: FileType, limit: int = MAX_DISPLAY_NAME) -> str:
    """A safe name to show and to offer on download: no path, no control or reserved characters, a
    bounded length and an extension that matches what the file really is. Never used as a key."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in name)  # controls, odd spaces
    name = _UNSAFE.sub("", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if ext.lower() in kind.extensions:
        ext = ext.lower()
    else:
        if ext.lower() not in _KNOWN_EXTENSIONS:
            stem = name  # "report.v2" keeps its ".v2"
        ext = kind.ext
    stem = stem.strip(" .") or "document"
    stem = stem[: max(1, limit - len(ext) - 1)].rstrip(" .") or "document"
    return f"{stem}.{ext}"
