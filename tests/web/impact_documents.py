"""Complete impact.json documents for the web tests that need a particular case (an alert, a range, a count).

The web app reads impact.json strictly (events.impact_read): the pages, feeds, CAP files, emails and webhooks
refuse a document lacking a key they tell, and the API refuses it at push time. So a test that wants "an orange
alert in Padang" starts from a whole document and replaces what it is about: the earthquake from
test_pages.shake_impact (ShakeImpact.as_dict's shape), the ash forecast from test_ash_pages.ash_impact, the
flood built here in realtime/flood/impact.py's shape. Tests that need no particular case use the real products
(tests/conftest.py quake_initial, flood_products, ash_products); tests/web/test_page_contract.py and
tests/web/test_summary_contract.py hold the contract between the two.
"""

from __future__ import annotations

import copy

from test_ash_pages import ash_impact
from test_pages import shake_impact

ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
ASH_CLASS_KEYS = ("very_low", "low", "medium", "high", "very_high")
FLOOD_CLASSES = (("high", 4, 0.05), ("medium", 3, 0.0), ("low", 2, 0.0), ("use_caution", 1, 0.0))

__all__ = ["ash_document", "flood_document", "quake_document", "renamed"]


def renamed(document: dict, path: str, new: str) -> dict:
    """A copy of the document with the key at the dotted path renamed, as a processor speaking another schema
    would leave it."""
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    node = document
    for name in parents:
        node = node[name]
    node[new] = node.pop(last)
    return document


def quake_document(alert: str = "green", fatality_range: str = "0 - 100", *, exposure: dict | None = None,
                   **parts) -> dict:
    """shake_impact with the alert, range and people per MMI class given (classes not named hold nobody); an
    object part (grid, fatalities, location, event) is merged into the whole one, anything else replaces it;
    `location=None` drops the nearest town (the processor leaves it out when none is near)."""
    document = shake_impact(alert, fatality_range)
    if exposure is not None:
        document["exposure"] = {roman: 0.0 for roman in ROMANS} | exposure
        document["exposure_total"] = sum(v for v in document["exposure"].values() if isinstance(v, float | int))
    for key, value in parts.items():
        if value is None:
            document.pop(key, None)
        elif isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key] = document[key] | value
        else:
            document[key] = value
    return document


def flood_document(affected: float = 12340.4, displaced: float = 1510.0, flooded: int = 158, caution: int = 3,
                   villages: list[str] | None = None) -> dict:
    """A flood impact.json (analyse_flood's keys) with these totals: the flooded RWs and their people in the
    "medium" class, the RWs to watch at "use caution", the people shared evenly by the villages."""
    villages = ["Kampung Melayu", "Bidara Cina"] if villages is None else villages
    counts = {"medium": flooded, "use_caution": caution}
    classes = [{"key": key, "state": state, "rw_count": counts.get(key, 0), "population": 0.0,
                "affected": affected if key == "medium" else 0.0, "displaced": displaced if key == "medium" else 0.0}
               for key, state, _rate in FLOOD_CLASSES]
    share = len(villages) or 1
    return {
        "flood_id": "2017022105-6-rw", "timezone": "Asia/Jakarta", "duration_hours": 6,
        "summary": {"affected": affected, "displaced": displaced, "flooded_rw": flooded, "caution_rw": caution,
                    "flooded_villages": len(villages)},
        "classes": classes,
        "villages": [{"name": name, "flooded_rw": 1, "caution_rw": 0, "affected": affected / share,
                      "displaced": displaced / share, "worst_state": 3} for name in villages],
        "needs": {"displaced": round(displaced), "items": [
            {"key": "rice", "name": "Rice", "unit": "kg", "frequency": "weekly", "amount": round(displaced) * 2.8}]},
        "vulnerable": [{"key": "infant", "name": "Infants", "ratio": 0.01, "people": displaced * 0.01}],
    }


def ash_document(exposure: dict | None = None, **parts) -> dict:
    """test_ash_pages.ash_impact with the people per class given (summary.affected their sum) and these parts."""
    if exposure is not None:
        exposure = {key: 0.0 for key in ASH_CLASS_KEYS} | exposure
    document = ash_impact(exposure)
    if exposure is not None:
        document["summary"] = document["summary"] | {"affected": sum(exposure.values())}
    return document | parts
