"""Access rules: every route declares who may use it and, for object ids, how ownership is checked.

    @bp.get("/settings/<int:setting_id>")
    @allow("provider_admin", "provider_staff", owner=own_setting)
    def setting(setting_id): obj = owned()

A before_request hook enforces the rule before the view runs: not signed in → login page; wrong
role → 403; an object that does not exist or belongs to another organisation → 404 (never
revealing which). A route with no rule is refused, and tests/test_access.py fails on it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user

RULE_ATTR = "__homefinder_rule__"


@dataclass(frozen=True)
class Rule:
    public: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)  # empty: any signed-in user
    owner: Callable[..., Any] | None = None  # (user, **view_args) -> object or None

    def describe(self) -> str:
        if self.public:
            return "public"
        who = ", ".join(sorted(self.roles)) or "any signed-in user"
        return who + (f" owning {self.owner.__name__}" if self.owner else "")


def _mark(view: Callable, rule: Rule) -> Callable:
    setattr(view, RULE_ATTR, rule)
    return view


def public(view: Callable) -> Callable:
    """Anyone, signed in or not (login, password reset, token links)."""
    return _mark(view, Rule(public=True))


def allow(*roles: str, owner: Callable[..., Any] | None = None) -> Callable[[Callable], Callable]:
    from portal.core.models import ROLES

    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorator(view: Callable) -> Callable:
        return _mark(view, Rule(roles=frozenset(roles), owner=owner))

    return decorator


def signed_in(view: Callable) -> Callable:
    """Any signed-in user, whatever their role (their own dashboard, inbox, sign out)."""
    return _mark(view, Rule())


def rule_for(app: Flask, endpoint: str) -> Rule | None:
    if endpoint in app.extensions.get("homefinder.public_endpoints", set()):
        return Rule(public=True)
    view = app.view_functions.get(endpoint)
    return getattr(view, RULE_ATTR, None)


def owned() -> Any:
    """The object the route's owner check loaded for this request."""
    return g.owned


def _enforce() -> Any:
    endpoint = request.endpoint
    if endpoint is None:  # 404/405 from routing: let Flask answer
        return None
    rule = rule_for(current_app, endpoint)
    if rule is None:
        current_app.logger.error("route %s has no access rule; refusing", endpoint)
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("core.login", next=request.full_path if request.method == "GET" else None))
    if rule.roles and not current_user.has_role(*rule.roles):
        abort(403)
    if rule.owner is not None:
        obj = rule.owner(current_user, **(request.view_args or {}))
        if obj is None:
            abort(404)
        g.owned = obj
    return None


def init_app(app: Flask, public_endpoints: set[str]) -> None:
    app.extensions["homefinder.public_endpoints"] = set(public_endpoints)
    app.before_request(_enforce)
