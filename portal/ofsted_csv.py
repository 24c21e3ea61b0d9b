"""Parse Ofsted's provider-level CSV of children's social care settings.

Reads and normalises the published "Children's social care data in England"
provider-level file; no database.  Decisions (see tests/test_ofsted_csv.py):

* Columns are matched by name ignoring case, spacing, punctuation and order
  ("&" counts as "and").
  Where a field has several names (``COLUMN_ALIASES``), the first present wins:
  "Latest full inspection date" beats "Inspection date" (the other column is
  then ignored, even where the preferred one is blank, so a date is never
  paired with a rating from another inspection); "Setting name" beats "Name".
* Required: "URN", plus "Registration status" or a rating column ("Overall
  experiences and progress of children and young people" or "Overall
  effectiveness"), since without either the file cannot tell us anything about
  a provider's standing.  Otherwise ``OfstedFormatError`` names what is
  missing.  Absent optional columns give None.
* The header is the first non-blank line with a URN column (within the first
  10 non-blank lines), so title lines above it are skipped.
* Decoding: UTF-8 with or without a byte order mark, else Windows-1252; UTF-16
  with a byte order mark is also accepted.
* Registration status is lower-cased: active, suspended, cancelled, resigned.
  "Closed" becomes "resigned": Ofsted *cancels* a registration as enforcement,
  whereas a provider that closes gives its registration up, so "cancelled"
  would wrongly suggest enforcement.  Blank -> None; anything else rejects.
* Ratings ignore case and spacing; "Requires improvement" becomes "Requires
  improvement to be good"; "Not yet inspected" -> None; others reject.
* Blank, "-", "N/A" and "NA" mean "no value" in the status, places, date and
  rating columns.  Places must otherwise be a whole number, 0 or more.
* Dates: dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy or yyyy-mm-dd, optionally followed
  by a time of day (ignored).  Two-digit years are rejected.
* URN: stripped, upper-cased, must be 6 or 7 digits optionally after "SC".
* Row numbers are physical line numbers (the header on line 1 is row 1; a
  quoted value spanning lines gives its first line).  Blank lines, including
  lines of empty cells, are skipped.  Short rows are padded with blanks.
* Every problem in a row is given in one reason; a bad row never stops the
  rest.  Duplicate URNs: the first *valid* row is kept; later valid rows with
  that URN are ``DuplicateRow`` (a ``RejectedRow``) in ``duplicates``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator, Protocol

__all__ = ["COLUMN_ALIASES", "DuplicateRow", "OfstedFormatError", "OfstedRow",
           "ParseResult", "RejectedRow", "iter_ofsted_csv", "parse_ofsted_csv"]

#: Accepted column names for each field, most preferred first.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "urn": ("URN", "Unique reference number"),
    "provision_type": ("Provision type",),
    "name": ("Setting name", "Name"),
    "registration_status": ("Registration status",),
    "places": ("Places", "Number of registered places", "Registered places"),
    "owner": ("Organisation which owns the provider", "Owner name"),
    "local_authority": ("Local authority",),
    "inspection_date": ("Latest full inspection date", "Inspection date"),
    "overall_effectiveness": (
        "Overall experiences and progress of children and young people",
        "Overall effectiveness",
    ),
}

_URN_RE = re.compile(r"(SC)?\d{6,7}", re.IGNORECASE)
_DMY_RE = re.compile(r"(\d{1,2})([/-])(\d{1,2})\2(\d{4})")
_ISO_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME_SUFFIX_RE = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_INTEGER_RE = re.compile(r"[+-]?\d+")
_MAX_PLACES = 10_000
_NO_VALUE = frozenset({"", "-", "n/a", "na"})
_RI = "Requires improvement to be good"
_RATINGS: dict[str, str | None] = {
    "outstanding": "Outstanding", "good": "Good", _RI.lower(): _RI,
    "requires improvement": _RI, "inadequate": "Inadequate", "not yet inspected": None,
}
_STATUSES: dict[str, str | None] = {
    "active": "active", "suspended": "suspended", "cancelled": "cancelled",
    "canceled": "cancelled", "resigned": "resigned", "closed": "resigned",
}
_HEADER_SEARCH_LIMIT = 10


class _Reader(Protocol):  # what csv.reader returns
    line_num: int

    def __next__(self) -> list[str]: ...


class OfstedFormatError(ValueError):
    """The file as a whole cannot be read, for example a required column is missing."""


@dataclass(frozen=True)
class OfstedRow:
    row_number: int
    urn: str
    provision_type: str | None
    name: str | None
    registration_status: str | None
    places: int | None
    owner: str | None
    local_authority: str | None
    inspection_date: date | None
    overall_effectiveness: str | None


@dataclass(frozen=True)
class RejectedRow:
    row_number: int
    reason: str
    raw: dict[str, str]


@dataclass(frozen=True)
class DuplicateRow(RejectedRow):
    """A valid row whose URN already appeared on an earlier valid row."""

    first_row_number: int


@dataclass
class ParseResult:
    rows: list[OfstedRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    duplicates: list[RejectedRow] = field(default_factory=list)


def _normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("&", "and"))


_ALIAS_KEYS = {
    fld: tuple(_normalise_header(a) for a in names) for fld, names in COLUMN_ALIASES.items()
}


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    data = bytes(data)
    if data.startswith(b"PK\x03\x04"):
        raise OfstedFormatError(
            "The file is an Excel workbook, not a CSV file. "
            "Save it as CSV (comma delimited) and try again"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        data, encodings = data.removeprefix(codecs.BOM_UTF8), ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise OfstedFormatError("The file is not UTF-8, UTF-16 or Windows-1252 text")


def _column_indices(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(_normalise_header(name), i)
    indices: dict[str, int] = {}
    for fld, keys in _ALIAS_KEYS.items():
        for key in keys:
            if key in positions:
                indices[fld] = positions[key]
                break
    return indices


def _check_required(indices: dict[str, int]) -> None:
    missing: list[str] = []
    if "urn" not in indices:
        missing.append('The file has no "URN" column')
    if "registration_status" not in indices and "overall_effectiveness" not in indices:
        missing.append('The file has no "Registration status" or "Overall experiences '
                       'and progress of children and young people" column (an "Overall '
                       'effectiveness" column is also accepted)')
    if missing:
        raise OfstedFormatError("; ".join(missing))


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _parse_date(label: str, value: str) -> tuple[date | None, str | None]:
    if value.lower() in _NO_VALUE:
        return None, None
    text = _TIME_SUFFIX_RE.sub("", value)
    if m := _DMY_RE.fullmatch(text):
        day, month, year = int(m[1]), int(m[3]), int(m[4])
    elif m := _ISO_RE.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        return None, f'{label} "{value}" is not a date in the form dd/mm/yyyy'
    try:
        return date(year, month, day), None
    except ValueError:
        return None, f'{label} "{value}" is not a real date'


def _parse_row(
    row_number: int, cells: list[str], indices: dict[str, int], raw: dict[str, str]
) -> OfstedRow | RejectedRow:
    width = len(cells)

    def cell(fld: str) -> str:
        i = indices.get(fld)
        return cells[i].strip() if i is not None and i < width else ""

    def text(fld: str) -> str | None:
        return cell(fld) or None

    problems: list[str] = []

    def lookup(fld: str, table: dict[str, str | None], complaint: str) -> str | None:
        value = cell(fld)
        key = " ".join(value.lower().split())
        if key in _NO_VALUE:
            return None
        if key not in table:
            problems.append(complaint.format(value))
        return table.get(key)

    urn = cell("urn").upper()
    if not urn:
        problems.append("URN is blank")
    elif not _URN_RE.fullmatch(urn):
        problems.append(f'URN "{cell("urn")}" is not an Ofsted URN '
                        '(6 or 7 digits, optionally after "SC")')
    status = lookup("registration_status", _STATUSES,
                    'registration status "{}" is not recognised')

    places: int | None = None
    places_text = cell("places")
    if places_text.lower() not in _NO_VALUE:
        if not _INTEGER_RE.fullmatch(places_text):
            problems.append(f'places "{places_text}" is not a whole number')
        elif (places := int(places_text)) < 0:
            problems.append(f'places "{places_text}" cannot be negative')
            places = None
        elif places > _MAX_PLACES:  # also keeps the value inside the database's integer column
            problems.append(f'places "{places_text}" is more than {_MAX_PLACES:,}')
            places = None

    inspection_date, problem = _parse_date("inspection date", cell("inspection_date"))
    if problem:
        problems.append(problem)
    rating = lookup("overall_effectiveness", _RATINGS,
                    'overall rating "{}" is not an Ofsted judgement')

    if problems:
        return RejectedRow(row_number, f"row {row_number}: " + "; ".join(problems), raw)
    return OfstedRow(
        row_number=row_number, urn=urn, provision_type=text("provision_type"),
        name=text("name"), registration_status=status, places=places,
        owner=text("owner"), local_authority=text("local_authority"),
        inspection_date=inspection_date, overall_effectiveness=rating,
    )


def _raw(header: list[str], cells: list[str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for i, value in enumerate(cells):
        key = header[i] if i < len(header) else f"Column {i + 1}"
        raw.setdefault(key, value)
    return raw


def _rows(
    reader: _Reader, header: list[str], indices: dict[str, int]
) -> Iterator[OfstedRow | RejectedRow]:
    line_num = reader.line_num
    first_row_for_urn: dict[str, int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_number, line_num = line_num + 1, reader.line_num
            yield RejectedRow(row_number, f"row {row_number}: could not be read ({exc})", {})
            continue
        row_number, line_num = line_num + 1, reader.line_num
        if _is_blank(cells):
            continue
        raw = _raw(header, cells)
        parsed = _parse_row(row_number, cells, indices, raw)
        if isinstance(parsed, OfstedRow):
            first = first_row_for_urn.setdefault(parsed.urn, row_number)
            if first != row_number:
                reason = (f'row {row_number}: URN "{parsed.urn}" already appears on row '
                          f"{first}; the first one is kept")
                yield DuplicateRow(row_number, reason, raw, first)
                continue
        yield parsed


def iter_ofsted_csv(data: bytes) -> Iterator[OfstedRow | RejectedRow]:
    """Yield each non-blank data row as an ``OfstedRow`` or a ``RejectedRow``.

    Duplicate URNs are yielded as ``DuplicateRow``.  Whole-file problems
    (encoding, missing required columns) raise ``OfstedFormatError`` straight
    away, before any row is read.
    """
    reader: _Reader = csv.reader(io.StringIO(_decode(data), newline=""))
    first_header: list[str] | None = None
    seen = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise OfstedFormatError(f"The header could not be read ({exc})") from None
        if _is_blank(cells):
            continue
        header = [cell.strip() for cell in cells]
        first_header = first_header or header
        indices = _column_indices(header)
        if "urn" in indices:
            _check_required(indices)
            return _rows(reader, header, indices)
        seen += 1
        if seen >= _HEADER_SEARCH_LIMIT:
            break
    if first_header is None:
        raise OfstedFormatError("The file is empty")
    _check_required(_column_indices(first_header))
    raise OfstedFormatError('The file has no "URN" column')


def parse_ofsted_csv(data: bytes) -> ParseResult:
    """Parse the whole file into kept rows, rejected rows and duplicate-URN rows."""
    result = ParseResult()
    for item in iter_ofsted_csv(data):
        if isinstance(item, OfstedRow):
            result.rows.append(item)
        elif isinstance(item, DuplicateRow):
            result.duplicates.append(item)
        else:
            result.rejected.append(item)
    return result
