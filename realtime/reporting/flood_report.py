"""The flood report: one A4 page per locale as PDF, PNG and thumbnail, like the earthquake report.

The map and its thumbnail are drawn once (they carry no words but village
names); each locale only re-renders the HTML around them, in parallel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from realtime.text import N_
from realtime.flood.classes import CLASS_BY_KEY, CLASS_BY_STATE, FLOOD_CLASSES
from realtime.reporting import formatting
from realtime.reporting.flood_map import MAP_PNG, THUMB_PNG, draw_flood_map, draw_flood_thumbnail, village_label
from realtime.reporting.i18n import translations
from realtime.reporting.map_parts import MapContext, thumbnail
from realtime.reporting.report_parts import render_locales, render_page

TABLE_VILLAGES = 10
# The needs profile is data (realtime/flood/data); its English names are marked here for the catalog.
NEED_NAMES = {
    "rice": N_("Rice"), "drinking_water": N_("Drinking Water"), "clean_water": N_("Clean Water"),
    "family_kits": N_("Family Kits"), "toilets": N_("Toilets"),
}
FREQUENCIES = {"weekly": N_("Weekly"), "once": N_("Once")}
Translate = Callable[[str], str]


def report_context(
    document: dict, locale: str, templates_dir: Path, now: datetime, village_boundaries: bool = False
) -> dict:
    """Everything the template shows, already translated and formatted for `locale`.

    `village_boundaries`: the map shows kelurahan outlines, so the legend names them.
    """
    trans = translations(Path(templates_dir), locale)
    _ = trans.gettext
    translate = trans.gettext  # for values looked up at run time; their msgids are marked with N_
    moment = datetime.fromisoformat(document["local_time"])
    summary = document["summary"]
    event_time = formatting.local_time(moment, document["timezone"], locale)
    villages = document.get("villages") or []
    more = max(0, len(villages) - TABLE_VILLAGES)
    return {
        "locale": locale,
        "flood_id": document["flood_id"],
        "based_on": _("Based on the flood state at %(time)s") % {"time": event_time},
        "source_line": _("Flood data from %(source)s") % {"source": document["source"]["name"]},
        "affected": formatting.display_people(summary["affected"], locale),
        "displaced": formatting.display_people(summary["displaced"], locale),
        "flooded_rw": formatting.people(summary["flooded_rw"], locale),
        "caution_rw": trans.ngettext("plus %(n)s RW to watch (use caution)", "plus %(n)s RWs to watch (use caution)",
                                     summary["caution_rw"]) % {"n": formatting.people(summary["caution_rw"], locale)}
        if summary["caution_rw"] else "",
        "flooded_villages": formatting.people(summary["flooded_villages"], locale),
        "classes": _class_rows(document, locale, translate),
        "total": {"rw_count": formatting.people(summary["flooded_rw"], locale),
                  "affected": formatting.display_people(summary["affected"], locale),
                  "displaced": formatting.display_people(summary["displaced"], locale)},
        "needs_title": _("Minimum needs for %(people)s displaced people")
        % {"people": formatting.people(document["needs"]["displaced"], locale)},
        "needs": _need_groups(document["needs"]["items"], locale, translate),
        "villages": [_village_row(village, locale, translate) for village in villages[:TABLE_VILLAGES]],
        "more_villages": trans.ngettext("and %(n)s more flooded village", "and %(n)s more flooded villages", more)
        % {"n": formatting.people(more, locale)} if more else "",
        "legend": [{"colour": c.colour, "name": translate(c.name)} for c in FLOOD_CLASSES],
        "displacement_rates": ", ".join(
            f"{translate(c.name).lower()} {formatting.number(c.displacement_rate * 100, locale, 0)}%"
            for c in FLOOD_CLASSES if c.affected
        ),
        "sources": document["sources"],
        "software": document["software"]["name"],
        "version": document["software"]["version"],
        "made_at": formatting.local_time(now.astimezone(moment.tzinfo), document["timezone"], locale),
        "map_png": MAP_PNG,
        "village_boundaries": village_boundaries,
    }


def _class_rows(document: dict, locale: str, translate: Translate) -> list[dict]:
    rows = []
    for row in document["classes"]:
        flood_class = CLASS_BY_KEY[row["key"]]
        rows.append({
            "colour": flood_class.colour, "name": translate(flood_class.name), "depth": translate(flood_class.depth),
            "counted": flood_class.affected, "rw_count": formatting.people(row["rw_count"], locale),
            "affected": formatting.display_people(row["affected"], locale),
            "displaced": formatting.display_people(row["displaced"], locale),
        })
    return rows


def _need_groups(items: list[dict], locale: str, translate: Translate) -> list[dict]:
    """Needs under 'Weekly' and 'Once' headings; amounts stay exact (a relief officer orders them)."""
    groups = []
    for frequency, title in FREQUENCIES.items():
        rows = [
            {"name": translate(NEED_NAMES.get(item["key"], item["name"])), "unit": item["unit"],
             "amount": formatting.people(item["amount"], locale)}
            for item in items if item["frequency"] == frequency
        ]
        if rows:
            groups.append({"title": translate(title), "rows": rows})
    return groups


def _village_row(village: dict, locale: str, translate: Translate) -> dict[str, str]:
    """A table row, with the colour and name of the worst state among the village's RWs."""
    worst = CLASS_BY_STATE.get(village.get("worst_state"))
    return {
        "name": village_label(village["name"]), "colour": worst.colour if worst else "#ffffff",
        "state": translate(worst.name) if worst else "", "flooded_rw": formatting.people(village["flooded_rw"], locale),
        "affected": formatting.display_people(village["affected"], locale),
        "displaced": formatting.display_people(village["displaced"], locale),
    }


def render_locale(
    document: dict, folder: Path, locale: str, templates_dir: Path, now: datetime, village_boundaries: bool = False,
    thumbnail_png: bytes | None = None,
) -> dict[str, str]:
    """PDF, PNG page and thumbnail for one locale; the map images must already be in `folder`."""
    context = report_context(document, locale, Path(templates_dir), now, village_boundaries)
    thumbnail_png = thumbnail_png or thumbnail(Path(folder) / THUMB_PNG)
    return render_page(templates_dir, folder, "flood", context, locale, document["flood_id"], thumbnail_png)


def render_flood_reports(
    document: dict, folder: Path, locales: list[str], context: MapContext, templates_dir: Path, now: datetime,
    parallel: bool = True,
) -> dict[str, dict[str, str]]:
    """Draw the map and thumbnail once, then render each locale; returns products per locale.

    `folder` must hold impact.geojson (the flooded RWs) next to where the reports go.
    """
    folder = Path(folder)
    draw_flood_map(folder, document, context)
    draw_flood_thumbnail(folder, document, context)
    render = partial(render_locale, document, folder, templates_dir=templates_dir, now=now,
                     village_boundaries=context.boundaries is not None, thumbnail_png=thumbnail(folder / THUMB_PNG))
    return render_locales(render, locales, parallel)
