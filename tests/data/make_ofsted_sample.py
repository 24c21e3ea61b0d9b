"""Build tests/data/ofsted_sample.csv: Ofsted's CSV as it would look for the demo seed, plus news.

    .venv/bin/python tests/data/make_ofsted_sample.py      # seeds a throwaway SQLite DB, writes the file

Every seeded setting gets a row matching what the seed holds, except:
* four rating changes: an Oakfield Care home drops to Inadequate (→ suspended, provider admin and
  DPS manager told), one Good home goes to Outstanding, one Good home to "Requires improvement"
  (Ofsted's short form) and a suspended Inadequate home improves to Good (stays suspended);
* one unknown URN (SC1000001) and one malformed row (a date that does not exist).
build_sample() returns the same bytes from any seeded database, so a test keeps the file honest.
"""
from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(__file__).resolve().parent / "ofsted_sample.csv"
NEW_INSPECTION = date(2026, 11, 3)
UNKNOWN_URN = "SC1000001"


def build_sample() -> bytes:
    """The sample CSV for the seeded database of the current app context."""
    from portal.core import db
    from portal.models import Setting
    from tests.factories_ofsted import make_ofsted_csv, ofsted_row

    settings = list(db.session.scalars(select(Setting).where(Setting.urn.is_not(None)).order_by(Setting.id)))
    oakfield = next(s for s in settings if s.provider.name == "Oakfield Care" and s.overall_effectiveness in (
        "Good", "Outstanding"))
    good = [s for s in settings if s.overall_effectiveness == "Good" and s is not oakfield]
    inadequate = next(s for s in settings if s.overall_effectiveness == "Inadequate" and s.suspended)
    changes = {
        oakfield.id: {"overall_effectiveness": "Inadequate", "inspection_date": NEW_INSPECTION},
        good[0].id: {"overall_effectiveness": "Outstanding", "inspection_date": NEW_INSPECTION},
        good[1].id: {"overall_effectiveness": "Requires improvement", "inspection_date": NEW_INSPECTION},
        inadequate.id: {"overall_effectiveness": "Good", "inspection_date": NEW_INSPECTION},
        good[2].id: {"inspection_date": "31/02/2026"},  # malformed: rejected, nothing changes
    }
    rows = []
    for n, s in enumerate(settings, start=1):
        fields = {"urn": s.urn, "name": s.name, "registration_status": s.registration_status.capitalize(),
                  "places": s.registered_places, "inspection_date": s.inspection_date,
                  "overall_effectiveness": s.overall_effectiveness or "Not yet inspected"}
        fields.update(changes.get(s.id, {}))
        rows.append(ofsted_row(n, **fields))
    rows.insert(len(rows) // 2, ofsted_row(len(rows) + 1, urn=UNKNOWN_URN, name="Hillcrest Lodge"))
    return make_ofsted_csv(rows)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from portal import create_app
    from portal.core.migrate import upgrade
    from portal.seed import seed

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"HOMEFINDER_ENV": "test", "SECRET_KEY": "sample", "DATABASE_URL": f"sqlite:///{tmp}/s.db",
                          "DOCUMENTS_DIR": f"{tmp}/documents"})
        upgrade(app)
        with app.app_context():
            seed()
            OUTPUT.write_bytes(build_sample())
        app.extensions["homefinder.engine"].dispose()
    print(f"Wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
