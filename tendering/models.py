"""Tables owned by the tendering package (none yet: its issue adds them through migrations)."""
from __future__ import annotations
