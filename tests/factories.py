"""Factories: build just the objects a test needs (call inside an app context)."""
from __future__ import annotations

import itertools

from portal.core import db
from portal.core.auth import create_user
from portal.core.models import Organisation, User
from portal.models import Setting, Vacancy

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def organisation(kind: str = "provider", name: str | None = None) -> Organisation:
    org = Organisation(name=name or f"{kind.title()} {next(_seq)}", kind=kind)
    db.session.add(org)
    db.session.flush()
    return org


def user(*roles: str, org: Organisation | None = None, email: str | None = None, password: str | None = PASSWORD,
         name: str | None = None) -> User:
    from portal.core.models import ROLES_FOR_KIND

    if org is None:
        kind = next(k for k, allowed in ROLES_FOR_KIND.items() if set(roles) <= allowed)
        org = organisation(kind)
    n = next(_seq)
    return create_user(org, email or f"user{n}@example.org", name or f"Test User {n}", list(roles), password=password)


def setting(provider: Organisation, **fields) -> Setting:
    n = next(_seq)
    values = dict(name=f"Home {n}", urn=f"SC{100000 + n}", kind="childrens_home", registered_places=4,
                  postcode="SE6 4RU", district="SE6", overall_effectiveness="Good")
    values.update(fields)
    obj = Setting(provider=provider, **values)
    db.session.add(obj)
    db.session.flush()
    return obj


def vacancy(setting: Setting, **fields) -> Vacancy:
    values = dict(places_free=1)
    values.update(fields)
    obj = Vacancy(setting=setting, **values)
    db.session.add(obj)
    db.session.flush()
    return obj
