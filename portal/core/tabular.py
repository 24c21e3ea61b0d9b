"""Any table as CSV or XLSX: a header row, then rows of plain values.

Reusable by every page that shows a table. Values keep their type: int, float and Decimal stay numbers
(numeric cells in XLSX, unquoted in CSV), date and datetime become ISO 8601 in CSV and real date cells in
XLSX, True/False become "yes"/"no", None becomes an empty cell. CSV is plain UTF-8 (no byte-order mark).

A text cell that a spreadsheet would run as a formula (starting =, +, -, @, tab or carriage return) is
written with a leading apostrophe in CSV and as a text cell in XLSX, so a provider's name cannot become a
formula on a commissioner's computer.

Pages use maybe_download(): the same headers and rows the page renders, returned as a file when the
request asks for ?format=csv|xlsx. Tables that can grow past EXPORT_SYNC_LIMIT rows also register a
table function (register_export) so portal.export_views can build the file in a background job.
The download links beneath a table come from templates/portal/_download.html."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Callable, Iterable, Sequence

from flask import Request, Response, abort, current_app, render_template
from openpyxl import Workbook
from openpyxl.styles import Font

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def csv_value(value):
    """One cell as written to CSV (numbers stay numbers for csv.writer, which does not quote them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _text(value)
    if isinstance(value, datetime):
        # to the second: microseconds are noise to a reader and to the payments system
        stamp = value.astimezone(timezone.utc) if value.tzinfo else value
        return stamp.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return value
    text = _text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([csv_value(h) for h in headers])
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
    return buffer.getvalue()


def _xlsx_value(value):
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return _text(value)
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, datetime):  # spreadsheets have no time zones: write UTC
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    return _text(value)


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str = "Data") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", sheet_title)[:31] or "Data"
    bold = Font(bold=True)
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column, value=str(header))
        cell.font = bold
        sheet.column_dimensions[cell.column_letter].width = max(12, min(60, len(str(header)) + 4))
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column)
            cell.value = _xlsx_value(value)
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def safe_filename(stem: str, extension: str) -> str:
    """Letters, digits, hyphens and underscores only, never empty, at most 80 characters before the extension."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "export"
    return f"{cleaned}.{extension}"


def download(headers: Sequence[str], rows: Iterable[Sequence], stem: str, fmt: str, sheet_title: str = "Data"
             ) -> Response:
    """A download response in `fmt` ("csv" or "xlsx"); raises ValueError for any other format."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    body = to_csv(headers, rows).encode("utf-8") if fmt == "csv" else to_xlsx(headers, rows, sheet_title)
    response = Response(body, mimetype=FORMATS[fmt].split(";")[0], content_type=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(stem, fmt)}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- pages: ?format=csv|xlsx ------------------------------------------------------------------------

DEFAULT_SYNC_LIMIT = 10_000
TableFn = Callable[..., tuple[Sequence[str], Iterable[Sequence]]]
EXPORTS: dict[str, tuple[TableFn, frozenset[str]]] = {}


def register_export(name: str, *roles: str) -> Callable[[TableFn], TableFn]:
    """Register fn(user, params) -> (headers, rows) for background exports, open to users with one of
    `roles` (the page's own rule). fn must apply the page's owner scope and filters: it runs in a job,
    as the requesting user, and gets only the parameters the page's filter form accepts."""

    def decorator(fn: TableFn) -> TableFn:
        EXPORTS[name] = (fn, frozenset(roles))
        return fn

    return decorator


def sync_limit() -> int:
    return int(current_app.config.get("EXPORT_SYNC_LIMIT", DEFAULT_SYNC_LIMIT))


def too_big(count: int, export: str | None) -> bool:
    """Whether this table's download must run as a background job."""
    return export is not None and export in EXPORTS and count > sync_limit()


def maybe_download(request: Request, headers: Sequence[str], rows, stem: str, *, export: str | None = None,
                   params: dict | None = None, count: int | None = None, sheet_title: str = "Data"
                   ) -> Response | None:
    """None unless the request asks for ?format=; then the file (or 400 for an unknown format). `rows` may
    be a list or a zero-argument callable (only evaluated for a download). A table registered as `export`
    with more than EXPORT_SYNC_LIMIT rows gets the page that starts a background export instead."""
    fmt = request.args.get("format")
    if fmt is None:
        return None
    if fmt not in FORMATS:
        abort(400)
    if callable(rows):
        rows = rows()
    if count is None:
        rows = list(rows)
        count = len(rows)
    if too_big(count, export):
        return Response(render_template("portal/export_start.html", export=export, fmt=fmt, params=params or {},
                                        count=count, title="Download a large table"))
    return download(headers, rows, f"{stem}-{date.today().isoformat()}", fmt, sheet_title)


def maybe_download_table(request: Request, tables: dict[str, tuple[Sequence[str], object]], stem: str, *,
                         sheet_title: str = "Data") -> Response | None:
    """For a page with several tables: ?format=csv|xlsx&table=<name> downloads the one named (each value is
    (headers, rows) as for maybe_download; rows may be a callable). No format: None; an unknown table: 404."""
    if request.args.get("format") is None:
        return None
    name = request.args.get("table")
    if name not in tables:
        abort(404)
    headers, rows = tables[name]
    return maybe_download(request, headers, rows, f"{stem}-{name}", sheet_title=sheet_title)
