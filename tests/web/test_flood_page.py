"""The flood detail page and the one RW count, with the real PetaBencana snapshot and the real impact.json.

The flood is pushed as the processor pushes it (hazard layer, report PDFs, then impact.json last) and the
impact document is the one `realtime flood process` wrote for the fixture (the flood_products session fixture). Every expected number here is worked
out from the fixture, the needs profile or the document's raw floats, not through the page code.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from conftest import FLOOD_SNAPSHOT
from events.models import Flood
from servers import ensure_web_catalog
from test_api import PDF, media, pusher  # noqa: F401 (fixtures: a throwaway MEDIA_ROOT, the processor's push user)

ensure_web_catalog()

API = "/realtime/api/v1/"
FLOOD_ID = "2017022105-6-rw"
PAGE = f"/realtime/flood/{FLOOD_ID}/"
NEEDS_PROFILE = "realtime/flood/data/bnpb_minimum_needs.json"
REPO = Path(__file__).resolve().parents[2]


def text_of(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def rounded(value: float) -> int:
    """People as the report shows them: up to the next 10 below 1,000, 100 below 100,000, else 1,000."""
    step = 10 if value < 1000 else 100 if value < 100000 else 1000
    return int(math.ceil(value / step) * step) if value >= 0.5 else 0


def en(value: float) -> str:
    return f"{value:,.0f}"


def id_(value: float) -> str:
    return en(value).replace(",", ".")


@pytest.fixture(scope="module")
def states() -> list:
    """Each feature's state, read straight from the fixture."""
    return [feature["properties"]["state"] for feature in json.loads(FLOOD_SNAPSHOT.read_bytes())["features"]]


@pytest.fixture(scope="module")
def document(flood_products) -> dict:
    """The processor's impact.json for the fixture, as `realtime flood process` wrote it."""
    return flood_products.impact


def push_flood(pusher: APIClient, document: dict | None) -> None:
    """As realtime.runtime.push.push_flood: the flood with its snapshot, each language's PDF, the impact last."""
    data = {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00+00:00", "interval": 6, "data_source": "PetaBencana.id",
            "source": "petabencana", "region": "Jakarta",
            "hazard_layer": SimpleUploadedFile(f"{FLOOD_ID}-flood_data.json", FLOOD_SNAPSHOT.read_bytes())}
    assert pusher.post(f"{API}flood/", data, format="multipart").status_code == 201
    for language in ("en", "id"):
        report = pusher.post(f"{API}flood-report/{FLOOD_ID}/", {"language": language, "impact_map": SimpleUploadedFile(
            f"{FLOOD_ID}_{language}.pdf", PDF)}, format="multipart")
        assert report.status_code == 201, report.content
    if document is not None:
        updated = pusher.put(f"{API}flood/{FLOOD_ID}/", {"event_id": FLOOD_ID, "impact": json.dumps(document)},
                             format="multipart")
        assert updated.status_code == 200, updated.content


def list_rw_cell(client) -> str:
    html = client.get("/realtime/flood/").content.decode()
    cell = re.search(r'data-label="Flooded RWs" class="num">(.*?)</td>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell.group(1))).strip()


def test_one_rw_count_in_the_list_the_page_the_api_and_the_report(pusher, client, document, states):
    flooded = sum(1 for state in states if state is not None and state >= 2)
    caution = states.count(1)
    assert (flooded, caution, len(states)) == (158, 3, 161)  # the fixture: 161 RWs with a state, 3 of them 1
    assert (document["summary"]["flooded_rw"], document["summary"]["caution_rw"]) == (flooded, caution)

    push_flood(pusher, None)  # before the impact: the snapshot's count, already the report's
    assert pusher.get(f"{API}flood/{FLOOD_ID}/").json()["boundary_flooded"] == flooded
    assert list_rw_cell(client) == "158"

    updated = pusher.put(f"{API}flood/{FLOOD_ID}/", {"event_id": FLOOD_ID, "impact": json.dumps(document)},
                         format="multipart")
    assert updated.status_code == 200 and updated.json()["boundary_flooded"] == flooded
    assert Flood.objects.get().boundary_flooded == flooded
    assert list_rw_cell(client) == "158 + 3 to watch"
    page = text_of(client.get(PAGE))
    assert "158 Flooded RWs plus 3 RWs to watch (use caution)" in page
    assert "161" not in page

    # A row stored by the legacy rule (state > 0: 161) still says the report's count everywhere.
    Flood.objects.update(boundary_flooded=len(states))
    assert pusher.get(f"{API}flood/{FLOOD_ID}/").json()["boundary_flooded"] == flooded
    assert pusher.get(f"{API}flood/").json()["results"][0]["boundary_flooded"] == flooded
    assert list_rw_cell(client) == "158 + 3 to watch"
    assert "158 Flooded RWs" in text_of(client.get(PAGE))


def test_the_detail_page_tells_what_the_report_tells(pusher, client, document, states):
    push_flood(pusher, document)
    response = client.get(PAGE)
    assert response.status_code == 200
    html, text = response.content.decode(), text_of(response)
    summary = document["summary"]
    assert "Jakarta flood, 21 Feb 2017 12:00 WIB" in text and "6-hour report" in text and FLOOD_ID in text
    # the report's key figures: 878,364.6 affected -> 879,000; 9,483.4 displaced -> 9,500
    assert en(rounded(summary["affected"])) == "879,000" and en(rounded(summary["displaced"])) == "9,500"
    assert "879,000 People affected" in text and "9,500 Displaced people" in text
    assert "90 Flooded villages (kelurahan)" in text and len(document["villages"]) == 90

    # by flood state: low 151 RWs, medium 7, none high, 3 to watch (counted from the fixture's states)
    classes = {row["key"]: row for row in document["classes"]}
    for name, key, state in (("Medium", "medium", 3), ("Low", "low", 2)):
        row = classes[key]
        expected = f"{name} {'71 - 150 cm' if state == 3 else '10 - 70 cm'} {states.count(state)} " \
                   f"{en(rounded(row['affected']))} {en(rounded(row['displaced']))}"
        assert expected in text, expected
    assert "High over 150 cm 0 0 0" in text
    assert f"Total 158 {en(rounded(summary['affected']))} {en(rounded(summary['displaced']))}" in text
    assert "Use caution unknown depth 3 not counted" in text

    # villages, most affected first, title case as the report writes them
    names = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r'<td class="name">(.*?)</td>', html)]
    assert len(names) == 90 and names[:3] == ["Ancol", "Cengkareng Timur", "Sunter Jaya"]
    first = document["villages"][0]
    assert f"Ancol Low 3 {en(rounded(first['affected']))} {en(rounded(first['displaced']))}" in text
    assert "Cengkareng Timur Medium 5" in text

    # minimum needs for round(9,483.4) = 9,483 displaced, per person from the BNPB profile, rounded up
    profile = json.loads((REPO / NEEDS_PROFILE).read_text())
    displaced = round(summary["displaced"])
    assert displaced == 9483 and f"Minimum needs for {en(displaced)} displaced people" in text
    labels = {"rice": "Rice (kg)", "drinking_water": "Drinking Water (l)", "clean_water": "Clean Water (l)",
              "family_kits": "Family Kits", "toilets": "Toilets"}
    for need in profile["needs"]:
        amount = math.ceil(round(displaced * need["per_person"], 9))
        assert f"{labels[need['key']]} {en(amount)}" in text, need
    assert "Rice (kg) 26,553" in text and "Toilets 475" in text
    assert text.index("Weekly") < text.index("Rice") < text.index("Once") < text.index("Toilets")
    # vulnerable groups: 49.6 % of 9,483.4 displaced are women: 4,703.8 -> 4,800; 9.25 % infants: 877.2 -> 880
    women, infants = 0.496 * summary["displaced"], 0.0925 * summary["displaced"]
    assert (en(rounded(women)), en(rounded(infants))) == ("4,800", "880")
    assert "Women 4,800" in text and "Infants 880" in text

    # downloads: each language's PDF and the snapshot through the API
    for language in ("EN", "ID"):
        assert f"Report PDF ({language})" in text
    link = re.search(r'<a class="pdf geojson" href="([^"]+)"', html).group(1)
    assert link == f"{API}flood/{FLOOD_ID}/flood-data/"
    assert client.get(link).content == FLOOD_SNAPSHOT.read_bytes()

    # the map: one path per RW with a state, coloured by class, and the most affected villages named
    drawn = re.findall(r'<path class="rw-area flood-(\w+)"', html)
    assert (drawn.count("low"), drawn.count("medium"), drawn.count("use_caution"), drawn.count("high")) == \
        (states.count(2), states.count(3), states.count(1), 0)
    assert html.count('class="village-dot"') == 6 and ">Ancol</text>" in html
    # framed on the RWs: every outline starts inside the view box, and a scale bar of a round length
    width, height = map(float, re.search(r'class="map flood-map" viewBox="0 0 (\d+) (\d+)"', html).groups())
    starts = [tuple(map(float, m)) for m in re.findall(r'class="rw-area[^"]*" d="M(-?\d+) (-?\d+)', html)]
    assert len(starts) == 161 and all(0 <= x <= width and 0 <= y <= height for x, y in starts)
    assert re.search(r'<g class="scale-bar"><path d="[^"]+"/><text [^>]+>(0.5|1|2|5|10|20) km</text></g>', html)


def test_the_list_links_each_flood_to_its_page(pusher, client, document):
    push_flood(pusher, document)
    html = client.get("/realtime/flood/").content.decode()
    assert f'href="{PAGE}"' in html
    assert client.get(PAGE).status_code == 200


def test_the_page_in_indonesian(pusher, client, document):
    push_flood(pusher, document)
    client.cookies["django_language"] = "id"
    text = text_of(client.get(PAGE))
    for phrase in ("Banjir Jakarta, 21 Feb 2017 12:00 WIB", "Laporan 6 jam", "879.000 Penduduk terdampak",
                   "9.500 Pengungsi", "158 RW tergenang ditambah 3 RW berstatus waspada",
                   "Kelurahan tergenang", "Penduduk terdampak menurut status banjir", "Rendah", "Sedang",
                   "Waspada", "tidak dihitung", "Kebutuhan minimum untuk 9.483 pengungsi", "Beras (kg) 26.553",
                   "Mingguan", "Sekali", "Perempuan 4.800", "Status banjir terparah", "Unduhan",
                   "Laporan PDF (ID)", "Data banjir (GeoJSON)", "Peta banjir", "Kelurahan paling terdampak"):
        assert phrase in text, phrase
    assert "People affected" not in text and "Flooded RWs" not in text
    listing = text_of(client.get("/realtime/flood/"))
    assert "158 + 3 waspada" in listing


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/realtime/flood/2099010105-6-rw/", "/realtime/flood/nothing/",
                                  "/realtime/flood/2017022105-6-rw%0A/", "/realtime/flood/2017022105-2-rw/"])
def test_unknown_or_malformed_flood_is_404(client, path):
    Flood.objects.create(event_id=FLOOD_ID, time="2017-02-21T05:00:00Z")
    assert client.get(PAGE).status_code == 200  # the page exists: the others are refused for their id
    assert client.get(path).status_code == 404


HOSTILE_IMPACTS = [
    {"summary": "x", "classes": "x", "villages": "x", "needs": "x", "vulnerable": "x"},
    {"summary": {"affected": -5, "displaced": "lots", "flooded_rw": True, "caution_rw": -3, "flooded_villages": []},
     "classes": [1, None, {"key": ["x"]}, {"key": "low", "rw_count": "many", "affected": None}],
     "villages": [1, None, {"name": ["x"]}, {"name": "<script>alert(1)</script>", "worst_state": "deep",
                                              "affected": 1e308, "flooded_rw": -1},
                  {"name": "X", "worst_state": 99}, {"name": "Y", "worst_state": -2}],
     "needs": {"displaced": "x", "items": ["junk", {"key": "rice", "amount": "many", "frequency": "weekly"},
                                          {"key": {"a": 1}, "frequency": "once", "amount": 1e308}]},
     "vulnerable": [None, {"key": "female", "people": "x"}, {"name": 5}]},
    {"summary": {"affected": 1e308, "displaced": 1e308, "flooded_rw": 1e308, "caution_rw": "2"}},
]
HOSTILE_SNAPSHOTS = [
    "not json",
    "[1, 2]",
    '{"type": "FeatureCollection", "features": "x"}',
    json.dumps({"type": "FeatureCollection", "features": [
        5, None, {"properties": [], "geometry": None},
        {"properties": {"state": 2}, "geometry": {"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}},
        {"properties": {"state": 3}, "geometry": {"type": "Polygon", "coordinates": [[[1e400, 0]] * 4]}},
        {"properties": {"state": 4}, "geometry": {"type": "MultiPolygon", "coordinates": [5, [[1, 2]]]}},
        {"properties": {"state": 2, "parent_name": ["x"]}, "geometry": {"type": "Polygon", "coordinates": [
            [[500, 0], [501, 0], [501, 1], [500, 0]]]}},
        {"properties": {"state": 2, "parent_name": "FAR"}, "geometry": {"type": "Polygon", "coordinates": [
            [[170, 60], [171, 60], [171, 61], [170, 60]]]}},
        {"properties": {"state": True}, "geometry": {"type": "Polygon", "coordinates": [
            [[106.8, -6.2], [106.81, -6.2], [106.81, -6.19], [106.8, -6.2]]]}},
    ]}).replace("Infinity", "1e400"),
    "[" * 5000 + "]" * 5000,
]


@pytest.mark.django_db
@pytest.mark.parametrize("snapshot", HOSTILE_SNAPSHOTS)
def test_a_hostile_snapshot_still_gives_the_page(client, document, snapshot):
    Flood.objects.create(event_id=FLOOD_ID, time="2017-02-21T05:00:00Z", impact=document, flood_data=snapshot)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert 'class="rw-area' not in response.content.decode()  # nothing here is a drawable RW near Jakarta
    assert client.get("/realtime/flood/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("impact", HOSTILE_IMPACTS)
def test_a_hostile_impact_is_told_as_unreadable_never_shown_as_blanks(client, caplog, impact):
    """The page says the impact summary cannot be read (a 500, logged); the list marks the row; no markup of
    the document reaches either; the API still serves the record."""
    Flood.objects.create(event_id=FLOOD_ID, time="2017-02-21T05:00:00Z", impact=impact,
                         flood_data=FLOOD_SNAPSHOT.read_text())
    response = client.get(PAGE)
    assert response.status_code == 500
    html = response.content.decode()
    assert "This event's impact summary cannot be read" in html and "<script>alert" not in html
    assert [r.levelname for r in caplog.records if r.name == "events.impact_read"] == ["ERROR"]
    listing = client.get("/realtime/flood/")
    assert listing.status_code == 200 and "Impact summary cannot be read" in listing.content.decode()
    assert client.get(f"{API}flood/{FLOOD_ID}/").status_code == 200


@pytest.mark.parametrize("flooded_rw", [-1, "158", True, [158]])
def test_a_pushed_summary_with_a_bad_rw_count_is_a_400(pusher, document, flooded_rw):
    assert pusher.post(f"{API}flood/", {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00Z"}).status_code == 201
    impact = json.dumps({**document, "summary": {**document["summary"], "flooded_rw": flooded_rw}})
    answer = pusher.put(f"{API}flood/{FLOOD_ID}/", {"event_id": FLOOD_ID, "impact": impact}, format="multipart")
    assert answer.status_code == 400 and "summary.flooded_rw" in json.dumps(answer.json())


def test_the_web_classes_are_the_processors():
    """The web app may import only realtime.ids, so it restates the flood classes: they must not drift."""
    from events import flood_map, flood_pages, uploads
    from realtime.flood.classes import FLOOD_CLASSES, MIN_AFFECTED_STATE

    assert uploads.FLOODED_STATE == MIN_AFFECTED_STATE
    assert flood_map.CLASS_OF_STATE == {c.state: c.key for c in FLOOD_CLASSES}
    with translation.override("en"):  # the msgids, whatever language an earlier test left active
        web = {c.key: (str(c.name), str(c.depth), c.counted) for c in flood_pages.FLOOD_CLASSES}
    assert web == {c.key: (c.name, c.depth, c.affected) for c in FLOOD_CLASSES}
    css = (REPO / "services/web/events/static/events/flood.css").read_text()
    for flood_class in FLOOD_CLASSES:
        assert f".flood-{flood_class.key} {{ --flood: {flood_class.colour};" in css
