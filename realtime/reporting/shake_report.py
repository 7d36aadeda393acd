"""The earthquake report: one A4 page per locale as PDF, PNG and thumbnail.

The map is drawn once (it carries no words); each locale only re-renders the
HTML around it. Locales render in parallel processes, since weasyprint is
CPU-bound Python.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import partial
from pathlib import Path

from realtime.earthquake.fatalities import FATALITY_MODELS
from realtime.earthquake.mmi import CLASS_BY_ROMAN, MMI_CLASSES, ROMANS, mmi_class_of
from realtime.text import N_
from realtime.reporting import formatting
from realtime.reporting.i18n import translations
from realtime.reporting.map_parts import thumbnail
from realtime.reporting.report_parts import render_locales, render_page
from realtime.reporting.shake_map import MAP_PNG, OVERVIEW_PNG, MapContext, draw_overview, draw_shake_map

ALERT_BAR_COLOURS = {"0-1": "#00a651", "1-10": "#ffd400", "10-100": "#ffd400", "100-1000": "#ff8c00"}
RED = "#e00000"
TABLE_CLASSES = ROMANS[1:9]  # II..IX; X is added when anyone felt it

ALERT_NAMES = {"green": N_("Green"), "yellow": N_("Yellow"), "orange": N_("Orange"), "red": N_("Red")}
SOURCE_NAMES = {"initial": N_("Initial"), "corrected": N_("Corrected")}
COMPASS_POINTS = (
    N_("N"), N_("NNE"), N_("NE"), N_("ENE"), N_("E"), N_("ESE"), N_("SE"), N_("SSE"),
    N_("S"), N_("SSW"), N_("SW"), N_("WSW"), N_("W"), N_("WNW"), N_("NW"), N_("NNW"),
)


def report_context(document: dict, locale: str, templates_dir: Path, now: datetime) -> dict:
    """Everything the template shows, already translated and formatted for `locale`."""
    trans = translations(Path(templates_dir), locale)
    _ = trans.gettext
    translate = trans.gettext  # for values looked up at run time; their msgids are marked with N_
    compass = translate
    event = document["event"]
    time = datetime.fromisoformat(event["time"])
    fatalities = document["fatalities"]
    exposure = document["exposure"]
    rows = list(TABLE_CLASSES) + (["X"] if exposure.get("X", 0) >= 0.5 else [])
    location = document.get("location")
    model_name = translate(FATALITY_MODELS[fatalities["model"]].name)
    pager = document["fatality_models"]["pager"]["probabilities"]
    tallest = max(pager.values()) or 1
    return {
        "locale": locale,
        "shake_id": document["shake_id"],
        "source_name": translate(SOURCE_NAMES[document["source_type"]]),
        "magnitude": formatting.number(event["magnitude"], locale, 1),
        "description": event["description"],
        "location": _("Located %(distance)s km %(direction)s of %(place)s")
        % {"distance": formatting.number(location["distance_km"], locale, 0), "direction": compass(location["direction"]),
           "place": location["place"]}
        if location else "",
        "event_time": formatting.local_time(time, event["timezone"], locale),
        "latitude": formatting.dms(event["latitude"], compass("N"), compass("S")),
        "longitude": formatting.dms(event["longitude"], compass("E"), compass("W")),
        "depth": formatting.number(event["depth_km"], locale, 0),
        "elapsed": formatting.elapsed(now - time, trans),
        "alert": fatalities["alert"],
        "alert_name": translate(ALERT_NAMES[fatalities["alert"]]),
        "impact_sentence": _("Estimated fatalities: %(range)s (%(model)s model)")
        % {"range": _fatality_range(fatalities["range"], locale), "model": model_name},
        "fatality_range": _fatality_range(fatalities["range"], locale),
        "model_sentence": _("Expected value %(total)s people, %(model)s model.")
        % {"total": formatting.number(fatalities["total"], locale, 0), "model": model_name},
        "probability_bars": [
            {"label": label.replace("100000", "100k").replace("10000", "10k").replace("1000", "1k"), "percent": percent,
             "height": round(22 * percent / tallest, 2), "colour": ALERT_BAR_COLOURS.get(label, RED)}
            for label, percent in pager.items()
        ],
        "exposure": [
            {"roman": roman, "colour": CLASS_BY_ROMAN[roman].colour, "people": formatting.display_people(exposure[roman], locale),
             "shaking": translate(CLASS_BY_ROMAN[roman].shaking), "damage": _damage(CLASS_BY_ROMAN[roman].damage, trans)}
            for roman in rows
        ],
        "exposure_total": formatting.display_people(document["exposure_total"], locale),
        "legend": [{"roman": c.roman, "colour": c.colour} for c in MMI_CLASSES[1:]],
        "places": [
            {"name": p["name"], "population": formatting.people(p["population"], locale),
             "mmi": _mmi_text(p["mmi"], locale), "roman": mmi_class_of(p["mmi"]).roman,
             "colour": mmi_class_of(p["mmi"]).colour, "distance": formatting.number(p["distance_km"], locale, 0),
             "direction": compass(p["direction"])}
            for p in document["places"]
        ],
        "population_source": document["sources"]["population"],
        "software": document["software"]["name"],
        "version": document["software"]["version"],
        "made_at": formatting.local_time(now.astimezone(time.tzinfo), event["timezone"], locale),
        "map_png": MAP_PNG,
        "overview_png": OVERVIEW_PNG,
    }


def _mmi_text(value: float, locale: str) -> str:
    """One decimal, or two where one decimal would show the edge of the class below: 9.54 is class X (above 9.5),
    so it reads "X 9.54", never "X 9.5"."""
    edge = mmi_class_of(value).value - 0.5
    return formatting.number(value, locale, 2 if round(value, 1) <= edge else 1)


def _damage(word: str, trans: gettext.NullTranslations) -> str:
    """A potential-damage word. VI's damage "Light" is "Ringan", not IV's shaking "Light" ("Agak lemah"): the same
    English needs a context of its own."""
    if word == "Light":
        return trans.pgettext("damage", "Light")
    return trans.gettext(word)


def _fatality_range(text: str, locale: str) -> str:
    """'1000 - 10000' with the locale's thousands separators."""
    parts = text.split(" ")
    return " ".join(formatting.people(float(p), locale) if p.isdigit() else p for p in parts)


def render_locale(
    document: dict, folder: Path, locale: str, templates_dir: Path, now: datetime, thumbnail_png: bytes | None = None
) -> dict[str, str]:
    """PDF, PNG page and thumbnail for one locale; the map images must already be in `folder`."""
    context = report_context(document, locale, Path(templates_dir), now)
    thumbnail_png = thumbnail_png or thumbnail(Path(folder) / MAP_PNG)
    return render_page(templates_dir, folder, "earthquake", context, locale, document["shake_id"], thumbnail_png)


def render_shake_reports(
    document: dict, folder: Path, locales: list[str], context: MapContext, templates_dir: Path, now: datetime,
    parallel: bool = True,
) -> dict[str, dict[str, str]]:
    """Draw the shared map once, then render each locale; returns products per locale."""
    folder = Path(folder)
    draw_shake_map(folder, document, context)
    draw_overview(folder, document, context)
    render = partial(render_locale, document, folder, templates_dir=templates_dir, now=now,
                     thumbnail_png=thumbnail(folder / MAP_PNG))  # once, not once per locale
    return render_locales(render, locales, parallel)

