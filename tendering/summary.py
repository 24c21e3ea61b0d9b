"""The officer's summary of a referral (check your answers, and the page of a published referral)."""
from __future__ import annotations

from markupsafe import Markup, escape

from portal.core.templating import format_datetime, format_date, format_money
from tendering.models import Referral
from tendering.services import provider_view


def _text(value) -> Markup:
    if value is None or value == "":
        return Markup("Not given")
    return Markup('<span class="hf-pre-line">{}</span>').format(value)


def rows(referral: Referral) -> tuple[list[tuple[str, Markup, str]], list[tuple[str, Markup, str]]]:
    """(shown to providers, internal only): each row is (label, value HTML, section that changes it)."""
    v = provider_view(referral)
    ev = v["evaluation"]
    needs = Markup("<br>").join(
        escape(f"{n['label']} ({n['severity']}{', essential' if n['essential'] else ''})") for n in v["needs"])
    location = escape(v["preferred_district"] or "No preferred district")
    if v["max_distance_miles"]:
        location += escape(f", within {v['max_distance_miles']} miles")
    if v["avoid_districts"]:
        location += Markup("<br>") + escape("Avoid: " + ", ".join(v["avoid_districts"]))
    price = ("lowest price among suitable proposals" if ev["price_method"] == "lowest_price"
             else f"quality {ev['quality_weight']}%, price {ev['price_weight']}%")
    weights = ", ".join(f"{o['label']} {ev['outcome_weights'].get(code, 0)}%" for code, o in v["outcomes"].items())
    shown = [
        ("Lot", _text(v["lot"]), "child"),
        ("Age", _text(f"{v['age']} years" if v["age"] is not None else None), "child"),
        ("Sex", _text(v["sex_label"]), "child"),
        ("Legal status", _text(v["legal_status_label"]), "child"),
        ("Children", _text("On their own" if v["solo"] else f"{v['group_size']} in a sibling group"), "child"),
        ("Needs", needs or Markup("Not given"), "needs"),
        ("Cultural needs", _text(v["cultural_needs"]), "identity"),
        ("Religious needs", _text(v["religious_needs"]), "identity"),
        ("Language needs", _text(v["language_needs"]), "identity"),
        ("Education", _text(v["education_status_label"]), "education"),
        ("Education notes", _text(v["education_notes"]), "education"),
        *((o["label"], _text(o["text"]), "outcomes") for o in v["outcomes"].values()),
        ("What matters to me", _text(v["what_matters"]), "voice"),
        ("Location", location, "location"),
        ("Start", _text("Emergency" if v["emergency"] else format_date(v["start_date"]) or None), "timing"),
        ("Expected duration", _text(v["expected_duration_label"]), "timing"),
        ("Response deadline", _text(format_datetime(v["response_deadline"]) or None), "timing"),
        ("Questions cut-off", _text(format_datetime(v["clarification_cutoff"]) or None), "timing"),
        ("Evaluation", _text(f"Minimum score {ev['min_outcome_score']} for every outcome; quality threshold "
                             f"{ev['quality_threshold']}%; {price}. Outcome weights: {weights}"), "evaluation"),
    ]
    internal = [
        ("Case reference", _text(referral.case_reference), "internal"),
        ("Budget ceiling per week", _text(format_money(referral.budget_ceiling_pence) or None), "internal"),
        ("Child's home postcode district", _text(referral.home_district), "internal"),
        ("Internal notes", _text(referral.internal_notes), "internal"),
    ]
    return shown, internal
