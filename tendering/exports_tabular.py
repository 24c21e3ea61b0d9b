"""Moved to portal.core.tabular (portal pages need it and portal never imports tendering); this name stays
so existing imports keep working."""
from portal.core.tabular import (  # noqa: F401 - re-exported
    FORMATS, FORMULA_START, csv_value, download, safe_filename, to_csv, to_xlsx,
)
from portal.core.tabular import _text, _xlsx_value  # noqa: F401 - re-exported for old callers
