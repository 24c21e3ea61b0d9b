"""Tables owned by the quality package (none yet: its issue adds them through migrations)."""
from __future__ import annotations
