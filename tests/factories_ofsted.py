"""Factories for Ofsted provider-level CSV files, for tests and benchmarks.

    make_ofsted_csv([ofsted_row(1), None, ofsted_row(2, places="abc")])

builds the bytes of a CSV file with the default Ofsted columns, a blank line
between the two rows, and a bad "Places" value in the second.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import date
from typing import Mapping, Sequence

__all__ = [
    "DEFAULT_COLUMNS",
    "FIELD_COLUMNS",
    "make_ofsted_csv",
    "ofsted_row",
    "ofsted_rows",
]

#: OfstedRow field name -> the column heading Ofsted uses for it.
FIELD_COLUMNS: dict[str, str] = {
    "urn": "URN",
    "provision_type": "Provision type",
    "name": "Setting name",
    "registration_status": "Registration status",
    "places": "Places",
    "owner": "Organisation which owns the provider",
    "local_authority": "Local authority",
    "inspection_date": "Inspection date",
    "overall_effectiveness": "Overall experiences and progress of children and young people",
}
DEFAULT_COLUMNS: list[str] = list(FIELD_COLUMNS.values())

_PROVISION_TYPES = ("Children's home", "Independent fostering agency", "Residential special school",
                    "Supported accommodation", "Secure children's home")
_RATINGS = ("Good", "Outstanding", "Requires improvement to be good", "Inadequate", "")
_AUTHORITIES = ("Leeds", "Kent", "Birmingham", "Cornwall", "Cumberland", "Southend-on-Sea")


def ofsted_row(n: int = 1, **fields: object) -> dict[str, str]:
    """A valid provider row, varied by ``n``; keywords override fields.

    Keywords are ``OfstedRow`` field names (``urn``, ``places`` ...).  Values
    are converted to text as ``make_ofsted_csv`` would (dates as dd/mm/yyyy).
    """
    unknown = set(fields) - set(FIELD_COLUMNS)
    if unknown:
        raise TypeError(f"Unknown Ofsted field(s): {', '.join(sorted(unknown))}")
    values: dict[str, object] = {
        "urn": f"SC{100000 + n:06d}" if n < 900000 else str(1000000 + n),
        "provision_type": _PROVISION_TYPES[n % len(_PROVISION_TYPES)],
        "name": f"Meadow View {n}",
        "registration_status": "Active",
        "places": 1 + n % 6,
        "owner": f"Caring Homes {n % 50} Ltd",
        "local_authority": _AUTHORITIES[n % len(_AUTHORITIES)],
        "inspection_date": date(2023, 1 + n % 12, 1 + n % 28),
        "overall_effectiveness": _RATINGS[n % len(_RATINGS)],
    }
    values.update(fields)
    return {FIELD_COLUMNS[key]: _text(value) for key, value in values.items()}


def ofsted_rows(count: int, start: int = 1) -> list[dict[str, str]]:
    """``count`` valid rows with distinct URNs, for bulk tests and benchmarks."""
    return [ofsted_row(n) for n in range(start, start + count)]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def make_ofsted_csv(
    rows: Sequence[Mapping[str, object] | None],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    columns: Sequence[str] | None = None,
) -> bytes:
    """The bytes of an Ofsted-style CSV file (Windows line endings).

    ``rows`` are dicts keyed by column heading; ``None`` writes a blank line.
    ``columns`` gives the headings in the order written (default: every key in
    the rows, in first-seen order, or ``DEFAULT_COLUMNS`` if there are none).
    A row value is found by exact heading, else by heading ignoring case,
    spacing and punctuation, so ``columns=["urn", "PLACES"]`` works with rows
    from ``ofsted_row``.  Missing values are written blank.  ``bom`` adds a
    byte order mark (UTF-8 only; UTF-16 always has one).
    """
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row or {}))
        columns = list(seen) or DEFAULT_COLUMNS
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        if row is None:
            buffer.write("\r\n")
            continue
        by_key = {_key(name): value for name, value in row.items()}
        writer.writerow(
            [_text(row[c]) if c in row else _text(by_key.get(_key(c))) for c in columns]
        )
    data = buffer.getvalue().encode(encoding)
    if bom:
        if codecs.lookup(encoding).name != "utf-8":
            raise ValueError("A byte order mark is only added for UTF-8")
        data = codecs.BOM_UTF8 + data
    return data
