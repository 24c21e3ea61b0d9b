"""Header navigation by role. Each package adds its own entries from its register() function."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, has_request_context, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    text: str
    endpoint: str
    roles: frozenset[str]  # empty: every signed-in user
    order: int = 50


def add(app: Flask, text: str, endpoint: str, *roles: str, order: int = 50) -> None:
    app.extensions.setdefault("homefinder.nav", []).append(NavItem(text, endpoint, frozenset(roles), order))


def items(app: Flask) -> list[dict]:
    if not has_request_context() or not current_user.is_authenticated:
        return []
    entries = sorted(app.extensions.get("homefinder.nav", []), key=lambda i: (i.order, i.text))
    return [
        {"href": url_for(i.endpoint), "text": i.text,
         "active": (request.endpoint or "") in (i.endpoint,) or (request.endpoint or "").startswith(i.endpoint + "_")}
        for i in entries
        if not i.roles or current_user.has_role(*i.roles)
    ]


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"navigation": items(app)})
