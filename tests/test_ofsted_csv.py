"""Tests for the Ofsted provider-level CSV parser (portal.ofsted_csv)."""

from __future__ import annotations

from datetime import date

import pytest

from portal.ofsted_csv import (
    DuplicateRow,
    OfstedFormatError,
    OfstedRow,
    RejectedRow,
    iter_ofsted_csv,
    parse_ofsted_csv,
)
# tests/ may or may not be a package, and pytest may be run as "pytest" or
# "python -m pytest"; import the factories whichever way works.
try:
    from tests.factories_ofsted import DEFAULT_COLUMNS, make_ofsted_csv, ofsted_row, ofsted_rows
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest is run
    from factories_ofsted import (  # type: ignore[no-redef]
        DEFAULT_COLUMNS,
        make_ofsted_csv,
        ofsted_row,
        ofsted_rows,
    )

RATING = "Overall experiences and progress of children and young people"


def parse_one(**fields: object) -> OfstedRow | RejectedRow:
    """Parse a file holding a single row built by ``ofsted_row``."""
    items = list(iter_ofsted_csv(make_ofsted_csv([ofsted_row(1, **fields)])))
    assert len(items) == 1
    return items[0]


def only_row(**fields: object) -> OfstedRow:
    item = parse_one(**fields)
    assert isinstance(item, OfstedRow), item
    return item


def only_reason(**fields: object) -> str:
    item = parse_one(**fields)
    assert isinstance(item, RejectedRow) and not isinstance(item, DuplicateRow), item
    return item.reason


# --- a well-formed file --------------------------------------------------------


def test_parses_and_normalises_a_typical_row() -> None:
    data = make_ofsted_csv([
        ofsted_row(
            1, urn="sc123456", provision_type="Children's home", name=" Meadow View ",
            registration_status="Active", places="4", owner="Caring Homes Ltd",
            local_authority="Leeds", inspection_date="05/03/2024",
            overall_effectiveness="Good",
        )
    ])
    result = parse_ofsted_csv(data)
    assert result.rejected == [] and result.duplicates == []
    assert result.rows == [
        OfstedRow(
            row_number=2, urn="SC123456", provision_type="Children's home",
            name="Meadow View", registration_status="active", places=4,
            owner="Caring Homes Ltd", local_authority="Leeds",
            inspection_date=date(2024, 3, 5), overall_effectiveness="Good",
        )
    ]


def test_header_only_file_gives_no_rows() -> None:
    result = parse_ofsted_csv(make_ofsted_csv([], columns=DEFAULT_COLUMNS))
    assert (result.rows, result.rejected, result.duplicates) == ([], [], [])


# --- columns -------------------------------------------------------------------


def test_columns_matched_ignoring_order_case_spacing_and_punctuation() -> None:
    columns = ["  overall EXPERIENCES and progress of children & young-people ",
               "PLACES", "registration_status", "u.r.n.", "Setting  Name", "LOCAL authority"]
    row = dict(zip(columns, ["requires improvement to be good", "3", "Suspended",
                             "SC654321", "Oak House", "Kent"]))
    (parsed,) = parse_ofsted_csv(make_ofsted_csv([row], columns=columns)).rows
    assert parsed.urn == "SC654321"
    assert parsed.places == 3
    assert parsed.registration_status == "suspended"
    assert parsed.name == "Oak House"
    assert parsed.local_authority == "Kent"
    assert parsed.overall_effectiveness == "Requires improvement to be good"
    assert parsed.owner is None and parsed.inspection_date is None  # absent columns


def test_alternative_column_names() -> None:
    row = {"URN": "1234567", "Name": "Birch Lodge", "Number of registered places": "6",
           "Owner name": "Birch Care Ltd", "Overall effectiveness": "Outstanding"}
    (parsed,) = parse_ofsted_csv(make_ofsted_csv([row])).rows
    assert (parsed.name, parsed.places, parsed.owner, parsed.overall_effectiveness) == (
        "Birch Lodge", 6, "Birch Care Ltd", "Outstanding")
    assert parsed.registration_status is None  # no status column: allowed with a rating
    row = {"URN": "1234567", "Registered places": "2", "Registration status": "Active"}
    assert parse_ofsted_csv(make_ofsted_csv([row])).rows[0].places == 2


def test_setting_name_preferred_to_name() -> None:
    row = {"Name": "Old", "URN": "SC100001", "Setting name": "New", "Registration status": "Active"}
    assert parse_ofsted_csv(make_ofsted_csv([row])).rows[0].name == "New"


@pytest.mark.parametrize("latest_first", [True, False])
def test_latest_full_inspection_date_preferred_when_both_present(latest_first: bool) -> None:
    columns = ["URN", RATING, "Inspection date", "Latest full inspection date"]
    if latest_first:
        columns.reverse()
    rows = [
        {"URN": "SC100001", RATING: "Good", "Inspection date": "01/06/2024",
         "Latest full inspection date": "15/01/2024"},
        # The preferred column decides even when blank; the other column is ignored.
        {"URN": "SC100002", RATING: "", "Inspection date": "not a date",
         "Latest full inspection date": ""},
    ]
    result = parse_ofsted_csv(make_ofsted_csv(rows, columns=columns))
    assert result.rejected == []
    assert [r.inspection_date for r in result.rows] == [date(2024, 1, 15), None]


def test_missing_urn_column_is_a_format_error_naming_it() -> None:
    row = ofsted_row(1)
    del row["URN"]
    with pytest.raises(OfstedFormatError, match='The file has no "URN" column'):
        parse_ofsted_csv(make_ofsted_csv([row]))
    # The streaming variant fails straight away, before any row is read.
    with pytest.raises(OfstedFormatError, match='no "URN" column'):
        iter_ofsted_csv(make_ofsted_csv([row]))


def test_missing_status_and_rating_columns_is_a_format_error_naming_them() -> None:
    with pytest.raises(OfstedFormatError) as caught:
        parse_ofsted_csv(make_ofsted_csv([{"URN": "SC100001", "Places": "3"}]))
    message = str(caught.value)
    assert '"Registration status"' in message and f'"{RATING}"' in message
    assert '"URN"' not in message


def test_no_columns_at_all_names_everything_missing() -> None:
    with pytest.raises(OfstedFormatError) as caught:
        parse_ofsted_csv(b"Provider,Town\r\nA,B\r\n")
    assert '"URN"' in str(caught.value) and '"Registration status"' in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_empty_file_is_a_format_error(data: bytes) -> None:
    with pytest.raises(OfstedFormatError, match="empty"):
        parse_ofsted_csv(data)


def test_excel_workbook_is_a_format_error() -> None:
    with pytest.raises(OfstedFormatError, match="Excel workbook"):
        parse_ofsted_csv(b"PK\x03\x04\x14\x00\x06\x00rest-of-zip")


def test_title_lines_above_the_header_are_skipped() -> None:
    data = b"Children's social care data in England\r\nAs at 31 March 2025\r\n\r\n"
    data += make_ofsted_csv([ofsted_row(1)])
    (parsed,) = parse_ofsted_csv(data).rows
    assert parsed.row_number == 5


# --- encodings -----------------------------------------------------------------


def test_utf8_with_bom() -> None:
    data = make_ofsted_csv([ofsted_row(1, name="Café Rêve")], bom=True)
    assert data.startswith(b"\xef\xbb\xbfURN,")
    (parsed,) = parse_ofsted_csv(data).rows
    assert parsed.urn == "SC100001" and parsed.name == "Café Rêve"


def test_windows_1252_bytes() -> None:
    data = make_ofsted_csv(
        [ofsted_row(1, name="Café Lodge", owner="St John’s Care – Homes")], encoding="cp1252"
    )
    assert b"Caf\xe9" in data  # really Windows-1252, not UTF-8
    (parsed,) = parse_ofsted_csv(data).rows
    assert parsed.name == "Café Lodge"
    assert parsed.owner == "St John’s Care – Homes"


def test_utf8_is_not_mistaken_for_windows_1252() -> None:
    (parsed,) = parse_ofsted_csv(make_ofsted_csv([ofsted_row(1, name="Café")])).rows
    assert parsed.name == "Café" and "Ã" not in parsed.name


def test_utf16_with_bom() -> None:
    (parsed,) = parse_ofsted_csv(make_ofsted_csv([ofsted_row(1, name="Café")],
                                                 encoding="utf-16")).rows
    assert parsed.name == "Café"


# --- field values --------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("Requires improvement", "Requires improvement to be good"),
    ("  requires   IMPROVEMENT ", "Requires improvement to be good"),
    ("Requires improvement to be good", "Requires improvement to be good"),
    ("GOOD", "Good"), ("outstanding", "Outstanding"), ("Inadequate", "Inadequate"),
    ("Not yet inspected", None), ("not yet  inspected", None),
    ("", None), ("-", None), ("N/A", None), ("n/a", None),
])
def test_ratings_normalised(given: str, expected: str | None) -> None:
    assert only_row(overall_effectiveness=given).overall_effectiveness == expected


def test_unknown_rating_rejected_naming_the_value() -> None:
    assert only_reason(overall_effectiveness="Very good") == (
        'row 2: overall rating "Very good" is not an Ofsted judgement')


@pytest.mark.parametrize(("given", "expected"), [
    ("Active", "active"), ("SUSPENDED", "suspended"), ("Cancelled", "cancelled"),
    ("Resigned", "resigned"), ("Closed", "resigned"), ("", None),
])
def test_registration_status_normalised(given: str, expected: str | None) -> None:
    assert only_row(registration_status=given).registration_status == expected


def test_unknown_registration_status_rejected() -> None:
    assert 'registration status "Pending"' in only_reason(registration_status="Pending")


@pytest.mark.parametrize("given", ["05/03/2024", "5/3/2024", "2024-03-05", "05-03-2024",
                                   " 05/03/2024 ", "2024-03-05 00:00:00", "2024-03-05T10:15"])
def test_date_formats(given: str) -> None:
    assert only_row(inspection_date=given).inspection_date == date(2024, 3, 5)


def test_blank_date_is_none() -> None:
    assert only_row(inspection_date="").inspection_date is None


def test_malformed_dates_rejected_with_row_number() -> None:
    rows = [ofsted_row(n) for n in range(1, 8)]
    rows[5] = ofsted_row(6, inspection_date="31/02/2024")  # line 7 of the file
    rows[2] = ofsted_row(3, inspection_date="2024/13/45")  # line 4
    result = parse_ofsted_csv(make_ofsted_csv(rows))
    assert [r.reason for r in result.rejected] == [
        'row 4: inspection date "2024/13/45" is not a date in the form dd/mm/yyyy',
        'row 7: inspection date "31/02/2024" is not a real date',
    ]
    assert [r.row_number for r in result.rejected] == [4, 7]
    assert result.rejected[1].raw["Inspection date"] == "31/02/2024"
    assert result.rejected[1].raw["URN"] == "SC100006"
    assert [r.row_number for r in result.rows] == [2, 3, 5, 6, 8]  # the rest still parsed


@pytest.mark.parametrize("given", ["5/3/24", "March 2024", "05.03.2024", "12/03-2024"])
def test_unrecognised_date_formats_rejected(given: str) -> None:
    assert "is not a date in the form dd/mm/yyyy" in only_reason(inspection_date=given)


@pytest.mark.parametrize(("given", "expected"), [
    ("4", 4), (" 12 ", 12), ("0", 0), ("", None), ("-", None), ("N/A", None),
])
def test_places(given: str, expected: int | None) -> None:
    assert only_row(places=given).places == expected


@pytest.mark.parametrize(("given", "reason"), [
    ("abc", 'row 2: places "abc" is not a whole number'),
    ("2.5", 'row 2: places "2.5" is not a whole number'),
    ("-3", 'row 2: places "-3" cannot be negative'),
])
def test_bad_places_rejected(given: str, reason: str) -> None:
    assert only_reason(places=given) == reason


@pytest.mark.parametrize(("given", "expected"), [
    ("SC123456", "SC123456"), ("sc123456", "SC123456"), (" SC1234567 ", "SC1234567"),
    ("1234567", "1234567"), ("2500012", "2500012"), ("123456", "123456"),
])
def test_valid_urns(given: str, expected: str) -> None:
    assert only_row(urn=given).urn == expected


@pytest.mark.parametrize("given", ["SC12345", "12345678", "AB123456", "SC 123456", "123456.0"])
def test_invalid_urns_rejected(given: str) -> None:
    assert only_reason(urn=given) == (
        f'row 2: URN "{given}" is not an Ofsted URN (6 or 7 digits, optionally after "SC")')


def test_blank_urn_rejected() -> None:
    assert only_reason(urn="  ") == "row 2: URN is blank"


def test_every_problem_in_a_row_is_reported_together() -> None:
    reason = only_reason(urn="", places="lots", overall_effectiveness="Great")
    assert reason == ('row 2: URN is blank; places "lots" is not a whole number; '
                      'overall rating "Great" is not an Ofsted judgement')


# --- rows ----------------------------------------------------------------------


def test_duplicate_urns_keep_the_first_and_report_the_rest() -> None:
    rows = [
        ofsted_row(1, urn="SC200001", places="x"),  # line 2: rejected, so not "first"
        ofsted_row(2, urn="SC200001"),              # line 3: kept
        ofsted_row(3),                              # line 4
        ofsted_row(4, urn="sc200001"),              # line 5: duplicate after normalising
        ofsted_row(5, urn="SC200001"),              # line 6: duplicate
    ]
    result = parse_ofsted_csv(make_ofsted_csv(rows))
    assert [(r.row_number, r.urn) for r in result.rows] == [(3, "SC200001"), (4, "SC100003")]
    assert [r.row_number for r in result.rejected] == [2]
    assert [r.row_number for r in result.duplicates] == [5, 6]
    first = result.duplicates[0]
    assert isinstance(first, DuplicateRow) and first.first_row_number == 3
    assert first.reason == 'row 5: URN "SC200001" already appears on row 3; the first one is kept'
    assert first.raw["URN"] == "sc200001"


def test_blank_lines_are_skipped_and_row_numbers_are_line_numbers() -> None:
    # Line 1 header, 2 blank, 3 row, 4-5 blank, 6 row, 7 empty cells, 8 spaces, 9 row.
    data = make_ofsted_csv([None, ofsted_row(1), None, None, ofsted_row(2)])
    data += b",,,,,,,,\r\n   \r\nSC100009,,,Active\r\n"
    result = parse_ofsted_csv(data)
    assert result.rejected == []
    assert [(r.row_number, r.urn) for r in result.rows] == [
        (3, "SC100001"), (6, "SC100002"), (9, "SC100009")]


def test_multiline_quoted_value_keeps_line_numbers() -> None:
    data = make_ofsted_csv([ofsted_row(1, name="The\nOld\nRectory"), ofsted_row(2)])
    result = parse_ofsted_csv(data)
    assert [(r.row_number, r.name) for r in result.rows] == [
        (2, "The\nOld\nRectory"), (5, "Meadow View 2")]


def test_short_rows_are_padded_with_blanks() -> None:
    data = make_ofsted_csv([], columns=DEFAULT_COLUMNS) + b"SC100001,Children's home,Elm\r\n"
    (parsed,) = parse_ofsted_csv(data).rows
    assert (parsed.urn, parsed.name, parsed.places, parsed.overall_effectiveness) == (
        "SC100001", "Elm", None, None)


def test_unreadable_row_does_not_stop_the_rest() -> None:
    huge = ofsted_row(2, name="x" * 200_000)
    result = parse_ofsted_csv(make_ofsted_csv([ofsted_row(1), huge, ofsted_row(3)]))
    assert [r.urn for r in result.rows] == ["SC100001", "SC100003"]
    assert len(result.rejected) == 1
    assert result.rejected[0].reason.startswith("row 3: could not be read")


def test_iter_streams_every_item_in_file_order() -> None:
    rows = [ofsted_row(1), ofsted_row(2, places="x"), ofsted_row(3, urn="SC100001")]
    items = list(iter_ofsted_csv(make_ofsted_csv(rows)))
    assert [type(i) for i in items] == [OfstedRow, RejectedRow, DuplicateRow]
    assert [i.row_number for i in items] == [2, 3, 4]


def test_ten_thousand_rows_parse_cleanly() -> None:
    """Every row of a national-size file is kept (its speed is measured by bench/run.py P3, not here)."""
    result = parse_ofsted_csv(make_ofsted_csv(ofsted_rows(10_000)))
    assert len(result.rows) == 10_000 and not result.rejected and not result.duplicates
