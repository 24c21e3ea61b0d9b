"""The tabs across the top of a published referral's pages (officer side). Each entry: label, endpoint,
and the statuses in which it is shown. The partial skips endpoints that are not registered."""
from __future__ import annotations

AFTER_PUBLISH = ("published", "closed", "quality_evaluated", "price_evaluated", "awarded", "placed", "cancelled",
                 "no_suitable_proposal")
AFTER_CLOSE = ("closed", "quality_evaluated", "price_evaluated", "awarded", "placed", "no_suitable_proposal")
AFTER_LOCK = ("quality_evaluated", "price_evaluated", "awarded", "placed", "no_suitable_proposal")

TABS = [
    ("Overview", "referrals.referrals_detail", AFTER_PUBLISH),
    ("Distribution", "distribution.distribution", AFTER_PUBLISH),
    ("Questions", "clarifications.officer_questions", AFTER_PUBLISH),
    ("Proposals", "evaluation.proposals", AFTER_PUBLISH),
    ("Panel and moderation", "evaluation.moderation", AFTER_CLOSE),
    ("Results and award", "award.results", AFTER_LOCK),
    ("Audit trail", "evaluation.audit", AFTER_PUBLISH),
]


def tabs_for(referral, view_functions) -> list[tuple[str, str]]:
    return [(label, endpoint) for label, endpoint, statuses in TABS
            if referral.status in statuses and endpoint in view_functions]
