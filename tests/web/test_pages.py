"""The public pages, rendered by Django's test client from models seeded directly."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from events.models import Earthquake, EarthquakeReport, Flood, FloodReport, ProcessorCheck
from servers import ensure_web_catalog


ensure_web_catalog()

# whitenoise warns that STATIC_ROOT (collectstatic's output) does not exist; the finders serve site.css here.
pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

WIB = dt_timezone(timedelta(hours=7))
PNG = (  # a 1x1 transparent PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def shake_impact(alert: str = "green", fatality_range: str = "0 - 100") -> dict:
    """An impact dict shaped like the processor's impact.json (ShakeImpact.as_dict), trimmed to what the pages read.

    Hand-written for the tests that need a particular case (an orange or yellow alert, a second version); the
    others render the real product (the quake_initial fixture), and tests/web/test_page_contract.py holds the
    contract between the two."""
    return {
        "schema_version": 1,
        "shake_id": "20180220163351",
        "source_type": "initial",
        "event": {"magnitude": 5.0, "depth_km": 202.0, "latitude": 1.34, "longitude": 124.42,
                  "time": "2018-02-20T16:29:28+07:00", "timezone": "Asia/Jakarta",
                  "description": "Minahassa Peninsula, Sulawesi"},
        "grid": {"lon_min": 122.42, "lat_min": -0.66, "lon_max": 126.42, "lat_max": 3.34, "max_mmi": 5.27},
        "exposure": {"I": 0.0, "II": 288286.14, "III": 822426.08, "IV": 536.78, "V": 0.0, "VI": 0.0,
                     "VII": 0.0, "VIII": 0.0, "IX": 0.0, "X": 0.0},
        "exposure_total": 1111249.0,
        "fatalities": {"model": "itb_bayesian", "name": "ITB Bayesian", "total": 0.0, "rounded": 0,
                       "range": fatality_range, "alert": alert},
        "places": [
            {"name": "Manado", "population": 458582, "mmi": 3.13, "distance_km": 50.3, "bearing_deg": 71.8,
             "direction": "ENE", "longitude": 124.84892, "latitude": 1.48218},
            {"name": "Bitung", "population": 225134, "mmi": 2.57, "distance_km": 79.6, "bearing_deg": 82.0,
             "direction": "E", "longitude": 125.12824, "latitude": 1.44059},
        ],
        "location": {"place": "Tomohon", "distance_km": 42.8, "bearing_deg": 273.4, "direction": "W",
                     "text": "Located 43 km W of Tomohon"},
    }


@pytest.fixture
def media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path / "media"):
        yield tmp_path / "media"


def add_earthquake(**fields) -> Earthquake:
    values = {
        "shake_id": "20180220163351", "source_type": "initial", "magnitude": 5.0,
        "time": datetime(2018, 2, 20, 16, 29, 28, tzinfo=WIB), "depth": 202.0,
        "longitude": 124.42, "latitude": 1.34, "location_description": "Minahassa Peninsula, Sulawesi",
        "impact": shake_impact(),
    }
    values.update(fields)
    return Earthquake.objects.create(**values)


def add_report(event: Earthquake, language: str) -> EarthquakeReport:
    stem = f"{event.shake_id}-{event.source_type}-{language}"
    return EarthquakeReport.objects.create(
        earthquake=event, language=language,
        report_pdf=SimpleUploadedFile(f"{stem}.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        report_image=SimpleUploadedFile(f"{stem}.png", PNG, content_type="image/png"),
        report_thumbnail=SimpleUploadedFile(f"{stem}-thumb.png", PNG, content_type="image/png"),
    )


def text_of(response) -> str:
    """The page's visible text, tags stripped and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.mark.django_db
def test_earthquake_list_shows_the_event_in_wib_with_alert_and_reports(client, media, quake_initial):
    event = add_earthquake(impact=quake_initial.impact)
    add_report(event, "en")
    add_report(event, "id")
    response = client.get("/realtime/")
    assert response.status_code == 200
    html, text = response.content.decode(), text_of(response)
    assert "20 Feb 2018 17:29 WITA" in text  # 09:29 UTC on the epicentre's clock (124.42° E: WITA, UTC+8)
    assert "5.0" in text and "202 km" in text
    assert "Minahassa Peninsula, Sulawesi" in text and "Located 43 km W of Tomohon" in text
    assert 'class="mmi mmi-bg-V">V<' in html  # max MMI 5.27 is class V
    assert 'class="alert alert-green">Green<' in html
    assert "0 - 100" in text and "Initial" in text
    assert "/realtime/earthquake/20180220163351/initial/" in html
    for language in ("en", "id"):
        pdf = event.reports.get(language=language).report_pdf
        assert f'href="{pdf.url}"' in html and pdf.url.startswith("/media/earthquake/pdf/")
        assert f"PDF {language.upper()}" in text
    thumbnail = event.reports.get(language="en").report_thumbnail.url
    assert f'src="{thumbnail}"' in html  # the English page shows the English thumbnail
    assert 'href="/static/events/site.css"' in html


@pytest.mark.django_db
def test_earthquake_list_is_newest_first_paginated_and_survives_missing_impact(client, media):
    start = datetime(2018, 1, 1, tzinfo=dt_timezone.utc)
    for k in range(51):
        add_earthquake(shake_id=f"2018010100{k:04d}", time=start + timedelta(hours=k), magnitude=4.0 + k / 100,
                       impact=None if k % 2 else {"fatalities": None, "grid": {"max_mmi": "bad"}})
    first = client.get("/realtime/")
    assert first.status_code == 200
    html = first.content.decode()
    assert html.count("<tr>") == 1 + 50  # the header row and one page of events
    assert html.index("20180101000050") < html.index("20180101000049")  # newest first
    assert "2018010100" + "0000" not in html
    assert "Page 1 of 2" in text_of(first)
    # half of them have a broken impact (no fatalities, a max MMI of "bad"): marked, not shown as blanks
    assert text_of(first).count("Impact summary cannot be read") == 25
    second = client.get("/realtime/?page=2")
    assert "2018010100" + "0000" in second.content.decode()
    assert client.get("/realtime/?page=banana").status_code == 200


@pytest.mark.django_db
def test_corrected_event_is_linked_from_its_initial_one(client, media):
    initial = add_earthquake()
    add_earthquake(shake_id="20180220162928_50_01400_124450_20180220162928", source_type="corrected",
                   magnitude=5.1, impact=shake_impact("yellow", "1 - 100"))
    initial.refresh_from_db()
    assert initial.has_corrected
    text, html = text_of(client.get("/realtime/")), client.get("/realtime/").content.decode()
    # One row for the event: the corrected version, with the initial one linked from it (tests/web/test_list_page.py)
    assert "Corrected" in text and "initial report: M 5.0" in text
    assert "/realtime/earthquake/20180220162928_50_01400_124450_20180220162928/corrected/" in html
    assert "/realtime/earthquake/20180220163351/initial/" in html
    detail = client.get("/realtime/earthquake/20180220163351/initial/").content.decode()
    assert "/realtime/earthquake/20180220162928_50_01400_124450_20180220162928/corrected/" in detail


@pytest.mark.django_db
def test_earthquake_detail_shows_image_exposure_fatalities_places_and_pdfs(client, media):
    event = add_earthquake(impact=shake_impact("orange", "100 - 1000"))  # hand-written: an orange alert
    add_report(event, "id")
    add_report(event, "en")
    response = client.get("/realtime/earthquake/20180220163351/initial/")
    assert response.status_code == 200
    html, text = response.content.decode(), text_of(response)
    assert "M 5.0 earthquake – Minahassa Peninsula, Sulawesi" in text
    assert "20 Feb 2018 17:29 WITA (20 Feb 2018 09:29 UTC)" in text
    assert f'src="{event.reports.get(language="en").report_image.url}"' in html
    # Exposure, rounded as the PDF report rounds: up to 10 / 100 / 1,000.
    rows = dict(re.findall(r'<tr class="mmi-(\w+)">.*?<td class="num">([\d,]+)</td>', html, flags=re.S))
    assert rows == {"II": "289,000", "III": "823,000", "IV": "540", "V": "0", "VI": "0", "VII": "0",
                    "VIII": "0", "IX": "0", "X": "0"}
    assert 'class="mmi mmi-bg-II">II<' in html and 'class="mmi mmi-bg-X dark">X<' in html
    assert "1,112,000" in text  # the total
    assert "100 - 1000" in text and "ITB Bayesian" in text
    assert 'class="alert alert-orange">Orange<' in html
    assert "Manado" in text and "458,582" in text and "Bitung" in text and "50 km" in text
    for report in event.reports.all():
        assert f'href="{report.report_pdf.url}"' in html
    assert "Report PDF (EN)" in text and "Report PDF (ID)" in text


@pytest.mark.django_db
def test_detail_image_follows_the_language_and_falls_back_to_any(client, media):
    event = add_earthquake()
    only_id = add_report(event, "id")
    html = client.get("/realtime/earthquake/20180220163351/initial/").content.decode()
    assert f'src="{only_id.report_image.url}"' in html  # no English report: show the Indonesian one
    english = add_report(event, "en")

    def shown(language: str) -> str:
        html = client.get("/realtime/earthquake/20180220163351/initial/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return re.search(r'<section class="report-image".*?<img src="([^"]+)"', html, flags=re.S).group(1)

    assert shown("en") == english.report_image.url
    assert shown("id") == only_id.report_image.url


@pytest.mark.django_db
def test_earthquake_detail_without_impact_or_reports(client, media):
    add_earthquake(impact=None)
    response = client.get("/realtime/earthquake/20180220163351/initial/")
    assert response.status_code == 200
    text = text_of(response)
    assert "The impact analysis is not available yet." in text and "No report yet" in text


@pytest.mark.django_db
def test_unknown_earthquake_is_404(client):
    add_earthquake()
    assert client.get("/realtime/earthquake/20180220163351/corrected/").status_code == 404
    assert client.get("/realtime/earthquake/nothing/initial/").status_code == 404


@pytest.mark.django_db
def test_flood_list(client, media, flood_products):
    older = Flood.objects.create(event_id="2017022005-6-rw", time=datetime(2017, 2, 19, 22, 0, tzinfo=dt_timezone.utc),
                                 total_affected=1234, boundary_flooded=3, impact=None)
    flood = Flood.objects.create(  # the processor's impact.json of the PetaBencana fixture (tests/real_products.py)
        event_id="2017022105-6-rw", time=datetime(2017, 2, 20, 22, 0, tzinfo=dt_timezone.utc),
        total_affected=99, boundary_flooded=42, impact=flood_products.impact,
    )
    report = FloodReport.objects.create(
        flood=flood, language="id",
        impact_map=SimpleUploadedFile("map.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        impact_report=SimpleUploadedFile("report.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
    )
    response = client.get("/realtime/flood/")
    assert response.status_code == 200
    html, text = response.content.decode(), text_of(response)
    assert "21 Feb 2017 05:00 WIB" in text and "2017022105-6-rw" in text
    # 878,364.6 affected and 9,483.4 displaced, rounded up as the report rounds; 158 RWs (+ 3 to watch), 90 villages
    assert "879,000" in text and "9,500" in text and "158 + 3 to watch" in text and " 90 " in text
    assert f'href="{report.impact_map.url}"' in html and f'href="{report.impact_report.url}"' in html
    assert "Map ID" in text and "Report ID" in text
    assert html.index("2017022105-6-rw") < html.index(older.event_id)  # newest first
    assert "1,234" in text  # no impact.json: total_affected from the model


@pytest.mark.django_db
def test_empty_lists(client):
    assert "No earthquakes yet." in text_of(client.get("/realtime/"))
    assert "No floods yet." in text_of(client.get("/realtime/flood/"))


@pytest.mark.django_db
def test_pages_in_indonesian_by_accept_language_cookie_and_set_language(client, media):
    event = add_earthquake(impact=shake_impact("yellow", "0 - 100"))  # hand-written: a yellow alert
    add_report(event, "id")
    Flood.objects.create(event_id="2017022105-6-rw", time=datetime(2017, 2, 20, 22, 0, tzinfo=dt_timezone.utc),
                         total_affected=32414, boundary_flooded=42)
    by_header = text_of(client.get("/realtime/", HTTP_ACCEPT_LANGUAGE="id-ID,id;q=0.9"))
    for phrase in ("Gempabumi", "Banjir", "Magnitudo", "Kedalaman", "Lokasi", "Perkiraan korban jiwa",
                   "Peringatan PAGER", "Laporan", "Kuning", "Awal", "Terletak 43 km arah B dari Tomohon",
                   "20 Feb 2018 17:29 WITA", "5,0"):
        assert phrase in by_header, phrase
    assert "Earthquakes" not in by_header and "Magnitude" not in by_header

    client.cookies["django_language"] = "id"
    detail = text_of(client.get("/realtime/earthquake/20180220163351/initial/"))
    assert "Gempabumi M 5,0" in detail and "Penduduk terpapar" in detail and "289.000" in detail
    assert "Lemah" in detail and "Lokasi sekitar" in detail and "Laporan PDF (ID)" in detail
    floods = text_of(client.get("/realtime/flood/"))
    for phrase in ("Terdampak", "Mengungsi", "RW tergenang", "Kelurahan", "32.414", "21 Feb 2017 05:00 WIB"):
        assert phrase in floods, phrase

    del client.cookies["django_language"]
    assert "Earthquakes" in text_of(client.get("/realtime/"))
    page = client.get("/realtime/")
    assert 'action="/i18n/setlang/"' in page.content.decode() and 'name="csrfmiddlewaretoken"' in page.content.decode()
    response = client.post("/i18n/setlang/", {"language": "id", "next": "/realtime/flood/"})
    assert response.status_code == 302 and response["Location"] == "/realtime/flood/"
    assert "RW tergenang" in text_of(client.get("/realtime/flood/"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/realtime/"})
    assert "Flooded RWs" in text_of(client.get("/realtime/flood/"))


@pytest.mark.django_db
@override_settings(PROCESSOR_CHECK_SECONDS=120, PROCESSOR_CHECK_TIMEOUT=60)
def test_processor_status_in_the_header(client):
    """Unknown until a check is decided; online while answers are fresh; offline once a check goes unanswered."""
    assert "Processor status unknown not checked yet" in text_of(client.get("/realtime/"))
    now = timezone.now()
    pending = ProcessorCheck.objects.create(sent_at=now - timedelta(seconds=30))  # within its 60 s timeout
    assert "Processor status unknown" in text_of(client.get("/realtime/"))
    pending.sent_at = now - timedelta(seconds=61)
    pending.save()
    assert "Processor offline never answered" in text_of(client.get("/realtime/"))
    answered = now - timedelta(seconds=5)
    ProcessorCheck.objects.create(sent_at=answered, answered_at=answered)
    text = text_of(client.get("/realtime/flood/"))
    local = answered.astimezone(WIB)
    assert f"Processor online last answer {local.day} {local:%b %Y %H:%M} WIB" in text
    assert "Prosesor daring jawaban terakhir" in text_of(client.get("/realtime/", HTTP_ACCEPT_LANGUAGE="id"))
    ProcessorCheck.objects.create(sent_at=now - timedelta(seconds=1))  # the next check, not yet due
    assert "Processor online" in text_of(client.get("/realtime/"))
    ProcessorCheck.objects.create(sent_at=now - timedelta(seconds=90))  # older and unanswered: the answer supersedes it
    assert "Processor online" in text_of(client.get("/realtime/"))
    later_miss = ProcessorCheck.objects.create(sent_at=answered + timedelta(seconds=1))
    later_miss.sent_at = now - timedelta(seconds=2)
    later_miss.save()
    with override_settings(PROCESSOR_CHECK_TIMEOUT=1):  # the check after the answer is now overdue
        text = text_of(client.get("/realtime/"))
        assert f"Processor offline no answer since {local.day} {local:%b %Y %H:%M} WIB" in text
        assert "Prosesor luring tidak ada jawaban sejak" in text_of(client.get("/realtime/", HTTP_ACCEPT_LANGUAGE="id"))
    ProcessorCheck.objects.all().update(answered_at=now - timedelta(hours=1))  # beat stopped: nothing to say
    assert "Processor status unknown last answer" in text_of(client.get("/realtime/"))


@pytest.mark.django_db
def test_the_processor_status_shows_no_exception_text(client):
    html = client.get("/realtime/").content.decode()
    assert "title=" not in html.split('class="processor-status', 1)[1].split("</p>", 1)[0]
