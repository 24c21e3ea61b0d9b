"""The demo market: a three-borough consortium sharing one DPS, ~60 providers and ~200 settings.

Deterministic (seeded random) and idempotent: running it again adds nothing that already exists.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from portal.core import db
from portal.core.auth import create_user, find_user
from portal.core.db import utcnow
from portal.core.models import Organisation
from portal.geography import centroid
from portal.seed_dps import seed_applications_and_documents
from portal.models import LOT_KINDS, Dps, Lot, Need, Setting, Vacancy, VacancyHistory

DEMO_PASSWORD = "homefinder-demo-2026"
SEED_HOOKS = "homefinder.seed_hooks"  # app.extensions key: callables run after the market, in registration order
DPS_NAME = "South East London Children's Placements DPS"
COUNCILS = ("London Borough of Lewisham", "Royal Borough of Greenwich", "London Borough of Southwark")
HOME_DISTRICTS = {
    "London Borough of Lewisham": ["SE4", "SE6", "SE13", "SE14", "SE23", "SE26", "BR1"],
    "Royal Borough of Greenwich": ["SE2", "SE3", "SE7", "SE9", "SE10", "SE18", "SE28"],
    "London Borough of Southwark": ["SE1", "SE5", "SE15", "SE16", "SE17", "SE21", "SE22"],
}
OTHER_DISTRICTS = [
    "BR2", "BR3", "BR5", "BR6", "CR0", "CR2", "CR4", "CR7", "DA1", "DA5", "DA7", "DA8", "DA11", "DA15", "DA16",
    "ME1", "ME4", "ME5", "ME7", "ME14", "ME15", "TN1", "TN9", "TN23", "TN34", "RH1", "RH10", "RH15", "GU1",
    "GU21", "KT1", "KT6", "SM1", "SM4", "TW1", "N7", "N15", "N17", "E6", "E10", "E17", "SW2", "SW9", "SW16",
    "SW17", "W3", "NW10", "RM1", "RM8", "IG1", "EN1", "HA0", "UB3", "CT1", "CT9", "BN1", "BN3", "SS1", "RM17",
]
NAME_A = ["Oakfield", "Willow", "Harbour", "Meadowbank", "Beacon", "Riverside", "Larchwood", "Brightpath", "Kestrel",
          "Northgate", "Elmstead", "Horizon", "Compass", "Foxglove", "Lantern", "Maple", "Silverbirch", "Ashdown",
          "Bluebell", "Cedar", "Hollybush", "Juniper", "Rowan", "Summit"]
NAME_B = ["Care", "Children's Services", "Homes", "Young People's Services", "Fostering", "Family Care"]
STREETS = ["Acacia", "Birch", "Chestnut", "Dale", "Eastbrook", "Fernlea", "Glebe", "Heath", "Ivy", "Kingsley",
           "Linden", "Manor", "Newlands", "Orchard", "Park", "Queens", "Rosebank", "Stanley", "Tudor", "Valley",
           "Woodside", "Yew Tree", "Beech", "Clover", "Bramble"]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
DEMO_USERS = [
    ("provider_admin", "provider.admin@oakfield-care.example", "Priya Shah", "provider"),
    ("provider_staff", "provider.staff@oakfield-care.example", "Tom Okafor", "provider"),
    ("placements_officer", "placements@lewisham.example", "Grace Mensah", "council"),
    ("panel_member", "panel@lewisham.example", "Dr Alan Reid", "council"),
    ("qa_officer", "qa@lewisham.example", "Fatima Begum", "council"),
    ("dps_manager", "dps@lewisham.example", "Sarah Collins", "council"),
    ("system_admin", "admin@homefinder.example", "Homefinder Support", "operator"),
]


def _rating(rng: random.Random) -> str | None:
    return rng.choices(["Outstanding", "Good", "Requires improvement to be good", "Inadequate", None],
                       weights=[15, 58, 17, 4, 6])[0]


def _postcode(rng: random.Random, district: str) -> str:
    return f"{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _org(name: str, kind: str, council: Organisation | None = None) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.name == name, Organisation.kind == kind))
    if org is None:
        org = Organisation(name=name, kind=kind, council_id=council.id if council else None)
        db.session.add(org)
        db.session.flush()
    return org


def _settings_for(rng: random.Random, provider: Organisation, kind: str, districts: list[str], count: int,
                  needs: list[Need], urns: set[int]) -> None:
    now = utcnow()
    for _ in range(count):
        district = rng.choice(districts)
        assert centroid(district) is not None, district
        urn = rng.randint(100000, 999999)
        while urn in urns:
            urn = rng.randint(100000, 999999)
        urns.add(urn)
        rating = _rating(rng)
        fostering = kind in ("independent_fostering", "in_house_fostering")
        places = rng.randint(15, 80) if fostering else rng.randint(1, 6)
        min_age = 16 if kind == "supported_accommodation" else rng.choice([0, 5, 8, 10, 11, 12])
        setting = Setting(
            provider=provider, kind=kind, urn=f"SC{urn}",
            name=(f"{provider.name.split()[0]} {rng.choice(['Fostering', 'Family Placement'])} – {district}"
                  if fostering else f"{rng.choice(STREETS)} {rng.choice(['House', 'Lodge', 'View', 'Court'])}"),
            registration_status="active", overall_effectiveness=rating,
            inspection_date=(date(2026, 11, 1) - timedelta(days=rng.randint(30, 900))) if rating else None,
            registered_places=places, min_age=min_age, max_age=17,
            accepts_male=rng.random() > 0.15, accepts_female=True,
            postcode=_postcode(rng, district), district=district,
            suspended=rating == "Inadequate",
            suspended_reason="Rated Inadequate by Ofsted" if rating == "Inadequate" else None,
            needs=rng.sample(needs, rng.randint(2, 7)),
        )
        db.session.add(setting)
        state = rng.choices(["current", "stale", "none"], weights=[55, 25, 20])[0]
        if state != "none":
            confirmed = now - (timedelta(hours=rng.randint(1, 140)) if state == "current"
                               else timedelta(days=rng.randint(8, 40)))
            free = rng.randint(1, min(places, 3)) if rng.random() > 0.3 else 0
            vacancy = Vacancy(setting=setting, places_free=free, confirmed_at=confirmed,
                              free_from=date.today() + timedelta(days=rng.randint(0, 30)) if free else None)
            db.session.add(vacancy)
            db.session.flush()
            db.session.add(VacancyHistory(setting_id=setting.id, places_free=free, free_from=vacancy.free_from,
                                          change="updated", recorded_at=confirmed))


def seed_market() -> None:
    if db.session.scalar(select(Dps).where(Dps.name == DPS_NAME)) is not None:
        return
    rng = random.Random(20261122)
    councils = [_org(name, "council") for name in COUNCILS]
    dps = Dps(name=DPS_NAME, councils=councils)
    db.session.add(dps)
    for kind, (label, _) in LOT_KINDS.items():
        db.session.add(Lot(dps=dps, kind=kind, name=label))
    needs = list(db.session.scalars(select(Need).order_by(Need.position)))
    urns: set[int] = set()
    all_districts = sum(HOME_DISTRICTS.values(), []) + OTHER_DISTRICTS
    for council in councils:
        short = council.name.split(" of ")[-1]
        inhouse = _org(f"{short} Council Fostering Service", "provider", council)
        _settings_for(rng, inhouse, "in_house_fostering", HOME_DISTRICTS[council.name], 1, needs, urns)
    names = [f"{a} {b}" for a in NAME_A for b in NAME_B if f"{a} {b}" != "Oakfield Care"]  # the demo provider
    rng.shuffle(names)
    providers = [_org("Oakfield Care", "provider")] + [_org(n, "provider") for n in names[:56]]
    kinds = ["childrens_home"] * 6 + ["independent_fostering"] * 2 + ["supported_accommodation"] * 2 + [
        "parent_and_child"]
    provider_kinds = ["childrens_home"] + [rng.choice(kinds) for _ in providers[1:]]
    counts = [5] + [1] * (len(providers) - 1)
    multi = [i for i, k in enumerate(provider_kinds) if i and k != "independent_fostering"]
    for _ in range(197 - sum(counts)):  # 200 settings with the three in-house services
        counts[rng.choice(multi)] += 1
    for provider, kind, count in zip(providers, provider_kinds, counts):
        _settings_for(rng, provider, kind, all_districts, count, needs, urns)
    inhouse_services = list(db.session.scalars(select(Organisation).where(Organisation.council_id.is_not(None))))
    seed_applications_and_documents(rng, dps, providers + inhouse_services)


def seed() -> list[tuple[str, str]]:
    """Create the market and one login per role. Returns (role, email) pairs."""
    seed_market()
    orgs = {
        "provider": db.session.scalar(select(Organisation).where(Organisation.name == "Oakfield Care")),
        "council": db.session.scalar(select(Organisation).where(Organisation.name == COUNCILS[0])),
        "operator": _org("Homefinder", "operator"),
    }
    for role, email, name, kind in DEMO_USERS:
        if find_user(email) is None:
            create_user(orgs[kind], email, name, [role], password=DEMO_PASSWORD)
    db.commit()
    # tendering and quality add their demo data through hooks they register (portal never imports them).
    # A request context lets their services build the links they put in notifications, as in a request.
    for hook in current_app.extensions.get(SEED_HOOKS, []):
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            hook()
            db.commit()
    enrol_demo_two_factor()
    db.commit()
    return [(role, email) for role, email, _, _ in DEMO_USERS]


def enrol_demo_two_factor() -> None:
    """Council users and system admins must use an authenticator app: give every demo one a secret
    (`flask --app portal demo code EMAIL` prints the current code; the seed prints the secrets)."""
    from portal.core.models import COUNCIL_ROLES, OPERATOR_ROLES, User, UserRole
    from portal.two_factor import enrol_for_demo

    query = select(User).join(UserRole).where(UserRole.role.in_(COUNCIL_ROLES | OPERATOR_ROLES),
                                              User.totp_enabled_at.is_(None)).distinct()
    for user in db.session.scalars(query):
        enrol_for_demo(user)
