"""The contract between the processor's products and the pages: the real products of the shared fixtures,
pushed by the real push code (realtime.runtime.push) to the real web app under gunicorn, then read off the
rendered pages, list and detail, in English and Indonesian.

Every expected string is worked out here from the impact.json values and the documented rules, not by the
page code: people rounded up as the reports round them (to 10 under 1,000, 100 under 100,000, else 1,000),
MMI class k covering (k - 0.5, k + 0.5], Indonesian thousands with a dot, compass words from a hand table.
A product the pages cannot read (a key renamed) must fail loudly: HTTP 500 with the reason on the page, and
one ERROR line naming the event and the key (test_a_renamed_key_fails_loudly).
"""

from __future__ import annotations

import copy
import logging
import math
import re
from html.parser import HTMLParser

import pytest
import requests

from realtime.runtime.push import push_ash, push_earthquake, push_flood
from realtime.runtime.rest import RealtimeRest
from servers import ensure_web_catalog, web_app

ensure_web_catalog()

USER = ("test@realtime.inasafe.org", "t3st-pass")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
ALERT_WORDS = {"en": {"green": "Green", "yellow": "Yellow", "orange": "Orange", "red": "Red"},
               "id": {"green": "Hijau", "yellow": "Kuning", "orange": "Oranye", "red": "Merah"}}
COMPASS_ID = {"N": "U", "NNE": "UTL", "NE": "TL", "ENE": "TTL", "E": "T", "ESE": "TTg", "SE": "Tg", "SSE": "STg",
              "S": "S", "SSW": "SBD", "SW": "BD", "WSW": "BBD", "W": "B", "WNW": "BBL", "NW": "BL", "NNW": "UBL"}
FLOOD_STATE_NAMES = {"en": {2: "Low", 3: "Medium", 4: "High"}, "id": {2: "Rendah", 3: "Sedang", 4: "Tinggi"}}
ASH_CLASS_NAMES = {"en": {"very_low": "Very Low", "low": "Low", "medium": "Moderate", "high": "High",
                          "very_high": "Very High"},
                   "id": {"very_low": "Sangat Rendah", "low": "Rendah", "medium": "Sedang", "high": "Tinggi",
                          "very_high": "Sangat Tinggi"}}
LANGUAGES = ("en", "id")


def reported(people: float) -> int:
    """People as the reports round them: up to the next 10 under 1,000, 100 under 100,000, else 1,000."""
    if people < 0.5:
        return 0
    step = 10 if people < 1000 else 100 if people < 100000 else 1000
    return int(math.ceil(people / step) * step)


def grouped(number: float, language: str, decimals: int = 0) -> str:
    text = f"{number:,.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,")) if language == "id" else text


def mmi_class(value: float) -> str:
    return ROMAN[min(10, max(1, math.ceil(value - 0.5))) - 1]


def compass(direction: str, language: str) -> str:
    return COMPASS_ID[direction] if language == "id" else direction


class Tables(HTMLParser):
    """Every <table>'s rows as lists of cell texts, keyed by the table's class; phone-only copies skipped."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.table = self.row = self.cell = None
        self.hidden = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.hidden or "phone-only" in classes:
            self.hidden += tag not in ("br", "img")
            return
        if tag == "table":
            self.table = self.tables.setdefault(classes[0] if classes else "", [])
        elif tag == "tr" and self.table is not None:
            self.row = []
            self.table.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if self.hidden:
            self.hidden -= 1
            return
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None and not self.hidden:
            self.cell.append(data)


def text_of(html: str) -> str:
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("&gt;", ">").replace("&#x27;", "'")


@pytest.fixture(scope="module")
def site(quake_initial, quake_corrected, flood_products, ash_products, tmp_path_factory):
    """The web app holding the four real products, pushed as the processor pushes them."""
    with web_app(tmp_path_factory.mktemp("contract-web"), user=USER) as base:
        client = RealtimeRest(f"{base}/realtime/api/v1/", *USER, timeout=60)
        for push, products in ((push_earthquake, quake_initial), (push_earthquake, quake_corrected),
                               (push_flood, flood_products), (push_ash, ash_products)):
            push(client, products.folder)
        yield base


def page(site: str, path: str, language: str) -> str:
    response = requests.get(f"{site}{path}", headers={"Accept-Language": language}, timeout=60)
    assert response.status_code == 200, (path, response.status_code)
    assert f'<html lang="{language}">' in response.text
    return response.text


# Earthquakes ------------------------------------------------------------------------------------------------

def quake_path(products) -> str:
    impact = products.impact
    return f"/realtime/earthquake/{impact['shake_id']}/{impact['source_type']}/"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("version", ["quake_initial", "quake_corrected"])
def test_quake_detail_shows_the_products_exposure_fatalities_alert_and_places(site, request, version, language):
    products = request.getfixturevalue(version)
    impact = products.impact
    html = page(site, quake_path(products), language)
    tables, text = Tables(html).tables, text_of(html)

    magnitude = grouped(impact["event"]["magnitude"], language, 1)
    assert (f"Gempabumi M {magnitude}" if language == "id" else f"M {magnitude} earthquake") in text
    exposure = {row[0]: row[2] for row in tables["exposure"][1:-1]}  # header and total rows apart
    assert exposure == {roman: grouped(reported(impact["exposure"][roman]), language) for roman in ROMAN[1:]}
    assert tables["exposure"][-1][-1] == grouped(reported(impact["exposure_total"]), language)
    assert re.search(r'<p class="fatality-range">\s*(.*?)\s*</p>', html).group(1) == impact["fatalities"]["range"]
    alert = impact["fatalities"]["alert"]
    assert f'<span class="alert alert-{alert}">{ALERT_WORDS[language][alert]}</span>' in html
    assert re.search(r'<dd><span class="mmi mmi-bg-(\w+)', html).group(1) == mmi_class(impact["grid"]["max_mmi"])

    expected = [[place["name"], grouped(place["population"], language), mmi_class(place["mmi"]),
                 f"{round(place['distance_km'])} km", compass(place["direction"], language)]
                for place in impact["places"]]
    assert tables["places"][1:] == expected  # the processor's order: most shaken class first, then most populous


def test_the_initial_quakes_known_values(site, quake_initial):
    """The same page, pinned to the fixture's numbers read by hand off its impact.json."""
    tables = Tables(page(site, quake_path(quake_initial), "en")).tables
    assert {row[0]: row[2] for row in tables["exposure"][1:4]} == {"II": "289,000", "III": "823,000", "IV": "540"}
    assert tables["exposure"][-1] == ["Total", "1,112,000"]  # 1,111,249.0 rounded up to 1,000
    assert [row[0] for row in tables["places"][1:]] == ["Manado", "Bitung", "Kotamobagu", "Tondano", "Airmadidi"]
    assert tables["places"][1] == ["Manado", "458,582", "III", "50 km", "ENE"]  # MMI 3.13, 50.3 km


@pytest.mark.parametrize("language", LANGUAGES)
def test_quake_list_shows_the_newest_version_with_its_alert_range_mmi_and_location(site, quake_initial,
                                                                                  quake_corrected, language):
    corrected, initial = quake_corrected.impact, quake_initial.impact
    html = page(site, "/realtime/", language)
    rows = Tables(html).tables["events"][1:]
    assert len(rows) == 1  # the two versions of one quake: one row, the corrected one
    [row] = rows
    magnitude, mmi, alert, fatalities = row[1], row[4], row[5], row[6]
    assert magnitude == grouped(corrected["event"]["magnitude"], language, 1)
    assert mmi == mmi_class(corrected["grid"]["max_mmi"])
    assert alert == ALERT_WORDS[language][corrected["fatalities"]["alert"]]
    assert fatalities == corrected["fatalities"]["range"]
    location = corrected["location"]
    distance, direction = round(location["distance_km"]), compass(location["direction"], language)
    sentence = (f"Terletak {distance} km arah {direction} dari {location['place']}" if language == "id"
                else f"Located {distance} km {direction} of {location['place']}")
    assert sentence in row[3]
    assert f'href="{quake_path(quake_initial)}"' in html and f'href="{quake_path(quake_corrected)}"' in html
    assert initial["shake_id"] != corrected["shake_id"]


# Floods -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_flood_pages_show_the_products_totals_classes_and_villages(site, flood_products, language):
    impact = flood_products.impact
    summary, classes = impact["summary"], {row["key"]: row for row in impact["classes"]}
    affected, displaced = (grouped(reported(summary[key]), language) for key in ("affected", "displaced"))

    [row] = Tables(page(site, "/realtime/flood/", language)).tables["events"][1:]
    assert row[2:4] == [affected, displaced]
    assert row[4].startswith(str(summary["flooded_rw"])) and row[5] == str(summary["flooded_villages"])

    html = page(site, f"/realtime/flood/{impact['flood_id']}/", language)
    keys = dict((label, value) for value, label in re.findall(
        r'<span class="value">([^<]*)</span><span class="label">([^<]*)</span>', html))
    people, gone = ("Penduduk terdampak", "Pengungsi") if language == "id" else ("People affected", "Displaced people")
    assert (keys[people], keys[gone]) == (affected, displaced)
    tables = Tables(html).tables
    counted = [[str(classes[key]["rw_count"]), grouped(reported(classes[key]["affected"]), language),
                grouped(reported(classes[key]["displaced"]), language)] for key in ("high", "medium", "low")]
    assert [r[1:] for r in tables["flood-classes"][1:4]] == counted
    assert tables["flood-classes"][4][1:] == [str(summary["flooded_rw"]), affected, displaced]  # the total
    assert tables["flood-classes"][5][1] == str(classes["use_caution"]["rw_count"])
    villages = [[village["name"].title(), FLOOD_STATE_NAMES[language][village["worst_state"]],
                 str(village["flooded_rw"]), grouped(reported(village["affected"]), language),
                 grouped(reported(village["displaced"]), language)] for village in impact["villages"]]
    assert tables["villages"][1:] == villages  # all 90, most affected first
    assert [v[0] for v in villages[:3]] == ["Ancol", "Cengkareng Timur", "Sunter Jaya"]


# Volcanic ash -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_ash_pages_show_the_products_people_per_class_and_places(site, ash_products, language):
    impact = ash_products.impact
    by_key = {row["key"]: row for row in impact["classes"]}
    affected = grouped(reported(impact["summary"]["affected"]), language)
    displaced = grouped(reported(impact["summary"]["displaced"]), language)

    [row] = Tables(page(site, "/realtime/ash/", language)).tables["events"][1:]
    assert affected in row and displaced in row

    html = page(site, f"/realtime/ash/{impact['ash_id']}/", language)
    tables = Tables(html).tables
    names = ASH_CLASS_NAMES[language]
    expected = [[names[key], grouped(reported(impact["exposure"][key]), language),
                 grouped(reported(by_key[key]["displaced"]), language), by_key[key]["impact"][language]]
                for key in names]
    assert [[r[0], r[2], r[3], r[4]] for r in tables["ash-classes"][1:-1]] == expected
    assert tables["ash-classes"][-1][2:4] == [affected, displaced]
    places = [[place["name"], names[place["class_key"]], f"{grouped(place['thickness_cm'], language, 2)} cm",
               grouped(place["population"], language),
               f"{round(place['distance_km'])} km {compass(place['direction'], language)}"]
              for place in impact["places"]]
    assert tables["ash-places"][1:len(places) + 1] == places  # the places' table comes first, airports after


# Loud failure -----------------------------------------------------------------------------------------------

def renamed(document: dict, path: str) -> dict:
    """The document with one key renamed (exposure -> exposure_by_class), as a processor change would."""
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    node = document
    for name in parents:
        node = node[name]
    node[f"{last}_renamed"] = node.pop(last)
    return document


@pytest.mark.django_db
@pytest.mark.parametrize("hazard, key", [("quake", "exposure"), ("quake", "fatalities.range"), ("quake", "places"),
                                         ("flood", "summary.affected"), ("flood", "villages"),
                                         ("ash", "exposure"), ("ash", "summary.displaced")])
def test_a_renamed_key_fails_loudly(client, caplog, quake_initial, flood_products, ash_products, hazard, key):
    """The real product with one key renamed: the detail page is a 500 saying which key, the list marks the
    row, and one ERROR line names the event and the key. Nothing shows blanks or zeros."""
    from datetime import datetime, timezone

    from events.models import Ash, Earthquake, Flood

    if hazard == "quake":
        impact = quake_initial.impact
        Earthquake.objects.create(shake_id=impact["shake_id"], source_type="initial", magnitude=5.0, depth=10,
                                  time=datetime(2018, 2, 20, 9, 29, 28, tzinfo=timezone.utc), longitude=124.42,
                                  latitude=1.34, impact=renamed(impact, key))
        event, detail, listing = f"earthquake {impact['shake_id']}/initial", quake_path(quake_initial), "/realtime/"
    elif hazard == "flood":
        impact = flood_products.impact
        Flood.objects.create(event_id=impact["flood_id"], time=impact["time"], impact=renamed(impact, key))
        event, detail, listing = f"flood {impact['flood_id']}", f"/realtime/flood/{impact['flood_id']}/", "/realtime/flood/"
    else:
        impact = ash_products.impact
        Ash.objects.create(ash_id=impact["ash_id"], volcano_name="Merapi", event_time=impact["event"]["time"],
                           impact=renamed(impact, key))
        event, detail, listing = f"ash {impact['ash_id']}", f"/realtime/ash/{impact['ash_id']}/", "/realtime/ash/"

    problem = f"impact.json lacks '{key}'"
    for language, heading in (("en", "This event's impact summary cannot be read"),
                              ("id", "Ringkasan dampak kejadian ini tidak dapat dibaca")):
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            response = client.get(detail, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 500
        text = text_of(response.content.decode())
        assert heading in text and problem in text
        ours = [r for r in caplog.records if r.name == "events.impact_read"]
        assert [(r.levelno, r.getMessage()) for r in ours] == [(logging.ERROR, f"{event}: {problem}")]

    caplog.clear()
    with caplog.at_level(logging.ERROR):
        listed = client.get(listing)
    assert listed.status_code == 200 and "Impact summary cannot be read" in text_of(listed.content.decode())
    assert [r.getMessage() for r in caplog.records if r.name == "events.impact_read"] == [f"{event}: {problem}"]
