"""The volcanic ash pages (list and detail), rendered by Django's test client from models seeded directly.

The impact is made by hand in the shape of the processor's impact.json (realtime.ash.impact.AshImpact.document)
because these tests need particular cases (a land-cover layer, an airport in the "low" class, numbers chosen
so every figure on the page can be worked out here); tests/web/test_page_contract.py renders the real Merapi
product and holds the contract between the two: people are rounded up as the report
rounds them (to 10 under 1,000, to 100 under 100,000, to 1,000 above).
"""

from __future__ import annotations

import copy
import html as html_text
import json
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from events.models import Ash, AshReport, Volcano
from servers import ensure_web_catalog
from test_pages import PNG, media, text_of  # noqa: F401 (media is a fixture)

ensure_web_catalog()

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

WIB = dt_timezone(timedelta(hours=7))
ASH_ID = "201702211904+0700_Merapi"
# 19:04 WIB = 12:04 UTC; Merapi (110.44 E) is on WIB.
EVENT_TIME = datetime(2017, 2, 21, 19, 4, tzinfo=WIB)
PUBLISHED = datetime(2017, 2, 21, 12, 40, 0, tzinfo=dt_timezone.utc)


def ash_impact(exposure: dict | None = None) -> dict:
    """A Merapi forecast: 12,281.6 people in ash fall (12,300 as reported), 1,234.5 displaced (1,300)."""
    exposure = exposure or {"very_low": 5000.4, "low": 4321.7, "medium": 1725.0, "high": 1000.0, "very_high": 234.5}
    classes = [
        {"key": key, "min_cm": low, "max_cm": high, "label": {"en": en, "id": ind}, "colour": colour,
         "impact": {"en": f"impact of {en}", "id": f"dampak {ind}"}, "people": exposure[key],
         "displaced": exposure[key] * rate}
        for key, low, high, en, ind, colour, rate in (
            ("very_low", 0.01, 0.1, "Very Low", "Sangat Rendah", "#0F74BC", 0.0),
            ("low", 0.1, 2, "Low", "Rendah", "#00ADEF", 0.0),
            ("medium", 2, 5, "Moderate", "Sedang", "#FFF004", 0.0),
            ("high", 5, 10, "High", "Tinggi", "#FCB040", 1.0),
            ("very_high", 10, None, "Very High", "Sangat Tinggi", "#E32031", 1.0))]
    return {
        "schema_version": 1, "hazard": "volcanic_ash", "ash_id": ASH_ID,
        "volcano": {"name": "Merapi", "latitude": -7.542, "longitude": 110.442, "elevation_m": 2968,
                    "region": "Central Java", "source": "GVP"},
        "event": {"time": "2017-02-21T19:04:00+07:00", "timezone": "WIB", "eruption_height_m": 9332.0,
                  "column_height_asl_m": 12300.0, "alert_level": "siaga", "forecast_duration_days": 3,
                  "region": "Central Java"},
        "hazard_extent": {"lon_min": 109.5, "lat_min": -8.4, "lon_max": 111.4, "lat_max": -6.6},
        "max_thickness_cm": 98.52,
        "classes": classes,
        "exposure": exposure,
        "exposure_total": 12281.6,
        "summary": {"affected": 12281.6, "displaced": 1234.5},
        "places": [
            {"name": "Muntilan", "population": 80000, "thickness_cm": 12.5, "class_key": "very_high",
             "distance_km": 14.64, "bearing_deg": 260.0, "direction": "W", "longitude": 110.30, "latitude": -7.58,
             "kind": "place", "iata": None},
            {"name": "Magelang", "population": 120000, "thickness_cm": 3.25, "class_key": "medium",
             "distance_km": 26.2, "bearing_deg": 300.0, "direction": "WNW", "longitude": 110.22,
             "latitude": -7.47, "kind": "place", "iata": None},
            {"name": "Yogyakarta", "population": 400000, "thickness_cm": 0.05, "class_key": "very_low",
             "distance_km": 28.7, "bearing_deg": 170.0, "direction": "S", "longitude": 110.37, "latitude": -7.80,
             "kind": "place", "iata": None},
        ],
        "airports": [
            {"name": "Adisutjipto", "population": 0, "thickness_cm": 0.5, "class_key": "low", "distance_km": 30.4,
             "bearing_deg": 160.0, "direction": "SSE", "longitude": 110.43, "latitude": -7.79, "kind": "airport",
             "iata": "JOG"},
        ],
        "landcover": {"settlement": 12.25, "rice_field": 40.5, "plantation": 0.0, "water_supply": 0.4,
                      "forest": 88.0, "other": 3.0},
        "software": {"name": "inasafe-realtime", "version": "test"},
        "products": {"hazard": "ash_fall.tif", "classes": "ash_classes.geojson", "reports": {}},
    }


def add_ash(ash_id: str = ASH_ID, impact: dict | None = None, volcano: Volcano | None = None, **fields) -> Ash:
    values = {"volcano_name": "Merapi", "alert_level": "siaga", "event_time": EVENT_TIME, "eruption_height": 9332,
              "forecast_duration": 3, "published_at": PUBLISHED, "volcano": volcano}
    values.update(fields)
    return Ash.objects.create(ash_id=ash_id, impact=ash_impact() if impact is None else impact, **values)


def add_ash_reports(ash: Ash) -> dict[str, bytes]:
    pdfs = {}
    for language in ("en", "id"):
        pdfs[language] = f"%PDF-1.4\n% {ash.ash_id} {language}\n%%EOF\n".encode()
        AshReport.objects.create(
            ash=ash, language=language,
            report_map=SimpleUploadedFile(f"{ash.ash_id}-{language}.pdf", pdfs[language]),
            report_image=SimpleUploadedFile(f"{ash.ash_id}-{language}.png", PNG),
            report_thumbnail=SimpleUploadedFile(f"{ash.ash_id}-{language}-thumb.png", PNG))
    return pdfs


def get(client, url: str, language: str = "en"):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def words(response) -> str:
    """The page's visible text with entities read (&gt; as >)."""
    return html_text.unescape(text_of(response))


@pytest.mark.django_db
def test_ash_list_newest_first_with_local_and_utc_time_alert_people_and_pdfs(client, media):
    agung = ash_impact({"very_low": 99.0, "low": 0.0, "medium": 0.0, "high": 0.0, "very_high": 0.0})
    agung.update(volcano={"name": "Agung", "latitude": -8.342, "longitude": 115.508},
                 summary={"affected": 99.0, "displaced": 0.0}, max_thickness_cm=None)
    older = add_ash("201510010800+0800_Agung", volcano_name="Agung", alert_level="awas",
                    event_time=datetime(2015, 10, 1, 8, 0, tzinfo=dt_timezone(timedelta(hours=8))), impact=agung)
    add_ash_reports(add_ash())
    response = get(client, "/realtime/ash/")
    assert response.status_code == 200
    text = words(response)
    assert text.index("Merapi") < text.index("Agung")  # 2017 before 2015
    # Merapi 19:04 WIB = 12:04 UTC; Agung (115.5 E, Bali) 08:00 WITA = 00:00 UTC
    assert "21 Feb 2017 19:04 WIB 21 Feb 2017 12:04 UTC" in text
    assert "1 Oct 2015 08:00 WITA 1 Oct 2015 00:00 UTC" in text
    assert "Siaga" in text and "Awas" in text
    assert "12,300" in text and "1,300" in text  # 12,281.6 and 1,234.5 rounded up to 100
    assert " 99 " not in text and "100" in text  # 99 rounded up to 10
    assert "98.5 cm" in text
    html = response.content.decode()
    assert f'href="/realtime/ash/{ASH_ID}/"' in html
    assert html.count('class="pdf"') == 2 and "2017022119040700_Merapi-en.pdf" in html  # Django drops the + from file names
    assert 'class="alert alert-orange alert-level"' in html and 'class="alert alert-red alert-level"' in html
    assert 'aria-current="page">Volcanic ash</a>' in html  # the navigation's link, marked


@pytest.mark.django_db
def test_ash_list_in_indonesian(client, media):
    add_ash()
    text = words(get(client, "/realtime/ash/", "id"))
    assert "Abu vulkanik" in text
    assert "12.300" in text and "1.300" in text and "98,5 cm" in text
    assert "Siaga" in text  # Badan Geologi's word in both languages


@pytest.mark.django_db
def test_ash_detail_header_classes_places_airports_landcover_downloads(client, media):
    ash = add_ash()
    pdfs = add_ash_reports(ash)
    response = get(client, f"/realtime/ash/{ASH_ID}/")
    assert response.status_code == 200
    text = words(response)
    assert "Volcanic ash fall from Merapi" in text
    assert "21 Feb 2017 19:04 WIB (21 Feb 2017 12:04 UTC)" in text
    assert "Central Java" in text and "-7.542, 110.442" in text
    assert "12,300 m" in text and "9,332 m above the vent" in text and "3 days" in text
    assert "98.5 cm" in text and "Siaga" in text
    # people per class, rounded up: 5,000.4 -> 5,100; 4,321.7 -> 4,400; 1,725 -> 1,800; 1,000 -> 1,000; 234.5 -> 240
    for name, low_high, people in (("Very Low", "0.01 – 0.1 cm", "5,100"), ("Low", "0.1 – 2 cm", "4,400"),
                                   ("Moderate", "2 – 5 cm", "1,800"), ("High", "5 – 10 cm", "1,000"),
                                   ("Very High", "> 10 cm", "240")):
        # the range and impact text repeated under the name, for phones
        assert f"{name} {low_high} impact of {name} {low_high} {people}" in text, name
    assert "impact of Very High" in text  # the processor's text per class
    assert "Total 12,300 1,300" in text
    # places, worst class first as the impact lists them, with distance and direction
    table = text[text.index("Nearby places"):]
    assert table.index("Muntilan") < table.index("Magelang") < table.index("Yogyakarta")
    assert "Muntilan Very High 12.50 cm 80,000 15 km W" in text
    assert "Yogyakarta Very Low 0.05 cm 400,000 29 km S" in text
    assert "Airports in ash fall" in text and "Adisutjipto Low 0.50 cm 30 km SSE" in text
    assert "Rice field 40.5" in text and "Forest 88.0" in text and "Settlement 12.2" in text
    html = response.content.decode()
    assert html.count('class="ash-dot ash-') == 4  # three places and an airport on the map
    assert 'class="ash-dot ash-very_high"' in html and '<rect class="ash-dot ash-low"' in html
    assert 'class="volcano"' in html and 'class="forecast-extent"' in html
    links = [part.split('"')[0] for part in html.split('class="pdf" href="')[1:]]
    assert len(links) == 4  # PDF and PNG per language
    assert client.get(links[0]).getvalue() == pdfs["en"] and client.get(links[1]).getvalue() == pdfs["id"]


@pytest.mark.django_db
def test_ash_detail_in_indonesian(client, media):
    add_ash()
    text = words(get(client, f"/realtime/ash/{ASH_ID}/", "id"))
    assert "Hujan abu vulkanik dari Merapi" in text
    assert "Sangat Tinggi > 10 cm dampak Sangat Tinggi > 10 cm 240" in text
    assert "Sangat Rendah 0,01 – 0,1 cm dampak Sangat Rendah 0,01 – 0,1 cm 5.100" in text
    assert "dampak Sangat Tinggi" in text  # the processor's Indonesian text
    assert "Muntilan Sangat Tinggi 12,50 cm 80.000 15 km B" in text
    assert "Sawah 40,5" in text and "Hutan 88,0" in text
    assert "3 hari" in text and "Siaga" in text


HOSTILE = [
    None,
    [],
    {"summary": "lots", "exposure": [1, 2], "places": {"name": "x"}, "classes": "all"},
    {"summary": {"affected": "NaN", "displaced": -5}, "exposure": {"high": "Infinity", "low": "12"},
     "max_thickness_cm": True, "hazard_extent": {"lon_min": 1e308, "lat_min": "x"},
     "volcano": {"latitude": 95, "longitude": "east"},
     "event": {"alert_level": ["awas"], "forecast_duration_days": 10 ** 12, "column_height_asl_m": "1e999"},
     "landcover": {"forest": "NaN", "settlement": -1},
     "places": [None, 3, {"name": {"a": 1}}, {"name": "\x00<b>Bad</b>\x07", "class_key": "doom",
                                              "longitude": "NaN", "latitude": "1e400", "distance_km": "far"},
                {"name": "x" * 10_000, "class_key": "high", "longitude": 110.4, "latitude": -7.6}],
     "airports": "none", "classes": [{"key": ["high"]}, {"key": "high", "impact": {"en": 5}}]},
    {"volcano": {"latitude": -7.5, "longitude": 110.4}, "hazard_extent":
     {"lon_min": 0, "lat_min": -80, "lon_max": 170, "lat_max": 80}, "places": [
         {"name": "Far", "class_key": "low", "longitude": 10.0, "latitude": 50.0}]},
]


@pytest.mark.django_db
@pytest.mark.parametrize("impact", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_impacts_are_told_as_unreadable_on_both_pages(client, media, impact):
    """No impact: the page says the analysis is not there yet. A broken one: the detail page is a 500 saying
    the impact summary cannot be read, the list marks the row; no markup, NUL or NaN of the document shows."""
    add_ash(impact=copy.deepcopy(impact) if impact is not None else {}, alert_level="loud")
    Ash.objects.filter(ash_id=ASH_ID).update(impact=impact)
    for language in ("en", "id"):
        listing = get(client, "/realtime/ash/", language)
        assert listing.status_code == 200
        response = get(client, f"/realtime/ash/{ASH_ID}/", language)
        assert response.status_code == (200 if impact is None else 500)
        html = response.content.decode()
        assert "<b>Bad</b>" not in html and "\x00" not in html and "nan" not in text_of(response).lower()
        if impact is not None and language == "en":
            assert "This event's impact summary cannot be read" in html
            assert "Impact summary cannot be read" in listing.content.decode()


@pytest.mark.django_db
def test_hostile_place_is_escaped_and_a_far_place_stays_off_the_map(client, media):
    impact = ash_impact()
    impact["places"][0]["name"] = "<b>Bad</b>"
    add_ash(impact=impact)
    html = get(client, f"/realtime/ash/{ASH_ID}/").content.decode()
    assert "&lt;b&gt;Bad&lt;/b&gt;" in html
    far = ash_impact()
    far["hazard_extent"] = {"lon_min": 0, "lat_min": -80, "lon_max": 170, "lat_max": 80}
    far["places"] = [{**far["places"][0], "name": "Far", "class_key": "low", "longitude": 10.0, "latitude": 50.0}]
    far["airports"] = None
    add_ash("201702211904+0700_Kelud", impact=far, volcano_name="Kelud")
    html = get(client, "/realtime/ash/201702211904+0700_Kelud/").content.decode()
    assert "Far" in html and 'class="ash-dot' not in html  # listed, but 40 degrees away: not drawn


@pytest.mark.django_db
def test_unknown_or_malformed_ash_ids_are_404(client):
    add_ash()
    for path in ("201702211904+0700_Kelud", "201702211904 0700_Merapi", "20170221190+0700_Merapi",
                 "201702211904+0700_Mer.api", "201702211904+0700_Merapi%0A"):
        assert client.get(f"/realtime/ash/{path}/").status_code == 404, path
    assert client.get("/realtime/ash/201702211904%2B0700_Merapi/").status_code == 200


@pytest.mark.django_db
def test_position_and_column_height_fall_back_to_the_volcano_row(client, media):
    merapi = Volcano.objects.create(name="Merapi", latitude=-7.542, longitude=110.442, elevation_m=2968,
                                    region="Magelang")
    add_ash(impact={}, volcano=merapi, eruption_height=2000)
    text = words(get(client, f"/realtime/ash/{ASH_ID}/"))
    assert "-7.542, 110.442" in text and "4,968 m" in text and "Magelang" in text
    assert "The impact analysis is not available yet." in text


def test_impact_fixture_is_json():
    json.dumps(ash_impact())


def test_the_web_ash_classes_and_colours_are_the_processors():
    """The web app imports no numpy, so it restates the ash classes (ash_pages) and colours (ash.css)."""
    import re
    from pathlib import Path

    from django.utils import translation

    from events.ash_pages import ASH_CLASSES
    from events.summary import ASH_CLASS_KEYS
    from realtime.ash.classes import ASH_CLASSES as PROCESSOR_CLASSES

    css = (Path(__file__).resolve().parents[2] / "services/web/events/static/events/ash.css").read_text()
    assert tuple(c.key for c in PROCESSOR_CLASSES) == tuple(c.key for c in ASH_CLASSES) == ASH_CLASS_KEYS
    for web, processor in zip(ASH_CLASSES, PROCESSOR_CLASSES):
        assert (web.min_cm, web.max_cm) == (processor.min_cm, processor.max_cm)
        for language in ("en", "id"):
            with translation.override(language):
                assert str(web.name) == processor.label[language]
        colour = re.search(rf"\.ash-{web.key} {{ --ash: (#[0-9A-Fa-f]{{6}});", css).group(1)
        assert colour.upper() == processor.colour.upper()


def test_the_list_links_the_upload_page_only_for_those_who_may_upload(client, django_user_model):
    from django.contrib.auth.models import Permission

    assert "/realtime/ash/upload/" not in client.get("/realtime/ash/").content.decode()
    officer = django_user_model.objects.create_user("officer@example.org", password="not-used-here")
    officer.user_permissions.add(Permission.objects.get(codename="add_ash"))
    client.force_login(officer)
    assert 'href="/realtime/ash/upload/"' in client.get("/realtime/ash/").content.decode()
