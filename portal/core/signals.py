"""A tiny hook for packages above portal: `emit(kind, **ids)` after a change that may matter to them
(Ofsted data applied, a document uploaded or removed, a vacancy changed). portal never knows who listens;
quality subscribes in its register(). Listeners run in the caller's transaction and must not raise."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
changed = _signals.signal("homefinder.changed")


def emit(kind: str, **ids) -> None:
    """kind: "setting", "document", "vacancy", …; ids: setting_id=…, setting_ids=[…], provider_id=…"""
    changed.send(kind, **ids)
