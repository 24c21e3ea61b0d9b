"""Tests for portal.geography: postcodes, districts and distances (no database)."""

import csv

import pytest

from portal import geography
from portal.geography import (
    FULL_POSTCODE_RE,
    centroid,
    distance_miles,
    district_of,
    is_district,
    is_full_postcode,
    known_districts,
    normalise_postcode,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("se64ru", "SE6 4RU"),
        ("SE6 4RU", "SE6 4RU"),
        ("  se6   4ru ", "SE6 4RU"),
        ("se135aa", "SE13 5AA"),
        ("ec1a1bb", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("m11ae", "M1 1AE"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_normalise_postcode(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize("bad", ["", "   ", "SE6", "hello", "SE6 4RUU", "12345", "SE6 4CI", None])
def test_normalise_postcode_rejects_invalid(bad):
    with pytest.raises(ValueError, match="Enter a real postcode, like SE6 4RU"):
        normalise_postcode(bad)


@pytest.mark.parametrize(
    "good",
    [
        "M1 1AE",  # A9 9AA
        "B33 8TH",  # A99 9AA
        "CR2 6XH",  # AA9 9AA
        "DN55 1PT",  # AA99 9AA
        "W1A 0AX",  # A9A 9AA
        "EC1A 1BB",  # AA9A 9AA
        "GIR 0AA",
        "gir0aa",
        "se64ru",
        "SE6  4RU",
        "me4 4qf",
    ],
)
def test_is_full_postcode_accepts_real_formats(good):
    assert is_full_postcode(good)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "SE6",
        "SE6 4R",
        "SE6 RU4",
        "QE6 4RU",  # Q never starts a postcode
        "SE6 4CU",  # C never appears in the inward code
        "AAA1 1AA",
        "1SE 4RU",
        "GIR 1AA",
        "SE6-4RU",
        None,
        64,
    ],
)
def test_is_full_postcode_rejects_bad_values(bad):
    assert not is_full_postcode(bad)


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("se6 4ru", "SE6"), ("SE135AA", "SE13"), ("EC1A 1BB", "EC1A"), ("BR1 1AA", "BR1")],
)
def test_district_of(postcode, district):
    assert district_of(postcode) == district


def test_district_of_rejects_a_district_alone():
    with pytest.raises(ValueError):
        district_of("SE6")


@pytest.mark.parametrize("good", ["SE6", "se13", "EC1A", "W1A", "M1", "B33", "GIR", " BR1 "])
def test_is_district_accepts_outward_codes(good):
    assert is_district(good)


@pytest.mark.parametrize("bad", ["", "SE6 4RU", "SE64RU", "SE", "6SE", "QE6", "SE123", None])
def test_is_district_rejects_other_values(bad):
    assert not is_district(bad)


@pytest.mark.parametrize("district", ["SE6", "SE13", "BR1", "ME4", "TN1"])
def test_centroid_present_for_south_east_districts(district):
    point = centroid(district)
    assert point is not None
    lat, lon = point
    assert 50.7 < lat < 51.8
    assert -1.0 < lon < 1.5


def test_centroid_is_case_insensitive():
    assert centroid("se6") == centroid("SE6")


@pytest.mark.parametrize("unknown", ["ZZ99", "", "SE6 4RU", None])
def test_centroid_unknown(unknown):
    assert centroid(unknown) is None


def test_known_districts_covers_london_and_south_east():
    known = known_districts()
    assert isinstance(known, frozenset)
    for district in ["SE1", "SE6", "SE13", "SE15", "SE18", "BR1", "CR0", "DA1", "ME4",
                     "TN1", "RH1", "GU1", "KT1", "SM1", "TW1", "N1", "E1", "NW1"]:
        assert district in known
    for prefix in ["W1", "SW1", "EC1"]:
        assert any(d.startswith(prefix) for d in known)
    assert "ZZ99" not in known
    assert 2500 < len(known) < 3500


def test_csv_has_expected_columns_and_one_row_per_district():
    with geography.CENTROIDS_CSV.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["district", "lat", "lon"]
        districts = [row["district"] for row in reader]
    assert len(districts) == len(set(districts))
    assert all(is_district(d) for d in districts)


def test_distance_between_neighbouring_districts_is_small():
    assert distance_miles("SE6", "SE13") < 3


def test_distance_from_catford_to_chatham():
    assert 20 < distance_miles("SE6", "ME4") < 30


def test_distance_london_to_edinburgh():
    assert 300 < distance_miles("SW1A", "EH1") < 360


def test_distance_is_symmetric_and_zero_to_itself():
    assert distance_miles("SE6", "ME4") == pytest.approx(distance_miles("ME4", "SE6"))
    assert distance_miles("TN1", "TN1") == 0


def test_distance_unknown_district_is_none():
    assert distance_miles("SE6", "ZZ99") is None
    assert distance_miles("ZZ99", "SE6") is None


def test_full_postcode_regex_finds_postcode_in_sentence():
    text = "The home is at 12 Example Road, London SE6 4RU, near the park."
    assert [m.group(0) for m in FULL_POSTCODE_RE.finditer(text)] == ["SE6 4RU"]


def test_full_postcode_regex_finds_lower_case_and_unspaced():
    text = "Moved from se64ru to ME4 4QF last year; post to EC1A1BB."
    found = [m.group(0) for m in FULL_POSTCODE_RE.finditer(text)]
    assert found == ["se64ru", "ME4 4QF", "EC1A1BB"]


@pytest.mark.parametrize(
    "text",
    [
        "The home is in SE6, close to the station.",
        "Districts SE6 and SE13 are nearby.",
        "Reference XSE6 4RU is not a postcode.",
        "Code SE6 4RUX is not a postcode either.",
        "Room 4 has 12 beds",
    ],
)
def test_full_postcode_regex_ignores_districts_and_lookalikes(text):
    assert FULL_POSTCODE_RE.search(text) is None
