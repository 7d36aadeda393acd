"""Bilingual earthquake reports rendered for real BMKG events and read back as text."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pypdfium2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from PIL import Image

from conftest import GRID_CORRECTED, GRID_INITIAL, GRID_PAPUA, REPO
from realtime.pipeline.shake import process_shake
from realtime.reporting import formatting
from realtime.reporting.i18n import translations

TEMPLATES = REPO / "templates"
EVENTS = {"initial": GRID_INITIAL, "corrected": GRID_CORRECTED, "papua": GRID_PAPUA}
ID_TERMS = ("Laporan Dampak Gempabumi", "Perkiraan korban jiwa", "Lokasi sekitar", "Penduduk terpapar", "Kedalaman")
EN_TERMS = ("Earthquake Impact Report", "Estimated fatalities", "Nearby places", "People exposed", "Depth")


@pytest.fixture(scope="module")
def rendered(fixtures, demo_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("extract")
    now = datetime(2018, 2, 20, 10, 5, tzinfo=timezone.utc)
    return {
        key: process_shake(grid, demo_data, out, now=now, locales=["en", "id"], templates_dir=TEMPLATES)
        for key, grid in EVENTS.items()
    }


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_each_report_is_one_a4_page_with_the_key_facts(rendered, event):
    result = rendered[event]
    document = result.document
    reports = document["products"]["reports"]
    assert set(reports) == {"en", "id"}
    shake_id = document["shake_id"]
    location = document["location"]
    for locale, terms in (("en", EN_TERMS), ("id", ID_TERMS)):
        pdf = result.folder / reports[locale]["pdf"]
        assert pdf.name == f"{shake_id}-{locale}.pdf"
        doc = pypdfium2.PdfDocument(str(pdf))
        assert len(doc) == 1
        width, height = doc[0].get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        doc.close()
        text = " ".join(pdf_text(pdf).split())
        assert shake_id in text
        magnitude = f"{document['event']['magnitude']:.1f}"
        assert f"M {magnitude if locale == 'en' else magnitude.replace('.', ',')}" in text
        assert location["place"] in text and f" {location['distance_km']:.0f} km" in text
        fatality_range = document["fatalities"]["range"]
        assert fatality_range.replace("100000", "100,000" if locale == "en" else "100.000") in text
        for term in terms:
            assert term in text, (locale, term)
        png = Image.open(result.folder / reports[locale]["png"])
        assert abs(png.width - 1240) <= 2 and abs(png.height - 1754) <= 2  # A4 at 150 dpi
        thumb = Image.open(result.folder / reports[locale]["thumbnail"])
        assert thumb.size == (200, 200)
    id_text = pdf_text(result.folder / reports["id"]["pdf"])
    assert "Terletak" in id_text and "Located" not in id_text
    assert ("Koreksi" if event == "corrected" else "Awal") in id_text


def test_impact_json_on_disk_lists_the_reports(rendered):
    result = rendered["initial"]
    on_disk = json.loads((result.folder / "impact.json").read_text())
    assert on_disk["products"]["reports"]["id"]["pdf"] == "20180220163351-id.pdf"
    for locale in on_disk["products"]["reports"].values():
        assert all((result.folder / name).exists() for name in locale.values())


def test_every_catalog_message_has_an_indonesian_translation():
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    method_map = [("realtime/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {message[2] if isinstance(message[2], str) else message[2][0]
             for message in extract_from_dir(str(REPO), method_map, options, keywords=keywords)}
    with (TEMPLATES / "locale" / "id" / "LC_MESSAGES" / "realtime.po").open("rb") as stream:
        catalog = read_po(stream)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string and all(m.string)}
    assert found - translated == set()


def test_number_and_date_formats_follow_the_locale():
    assert formatting.people(1234567, "en") == "1,234,567"
    assert formatting.people(1234567, "id") == "1.234.567"
    assert formatting.display_people(805_123, "id") == "806.000"
    assert formatting.display_people(0.2, "en") == "0"
    assert formatting.display_people(3, "en") == "10"
    moment = datetime.fromisoformat("2018-02-20T16:29:28+07:00")
    assert formatting.local_time(moment, "Asia/Jakarta", "id") == "20 Februari 2018 16:29:28 WIB"
    assert formatting.local_time(moment.astimezone(timezone(timedelta(hours=9))), "Asia/Jayapura", "en").endswith("WIT")
    assert formatting.dms(1.34, "N", "S") == "1°20′24″N"
    assert formatting.dms(-7.961, "N", "S") == "7°57′40″S"


def test_elapsed_time_in_both_languages():
    en = translations(TEMPLATES, "en")
    id_ = translations(TEMPLATES, "id")
    assert formatting.elapsed(timedelta(minutes=1), en) == "1 minute"
    assert formatting.elapsed(timedelta(hours=2, minutes=5), en) == "2 hours 5 minutes"
    assert formatting.elapsed(timedelta(hours=2, minutes=5), id_) == "2 jam 5 menit"
    assert formatting.elapsed(timedelta(days=3), id_) == "3 hari"
    assert formatting.elapsed(timedelta(days=20), en) == "2 weeks 6 days"


def test_optional_basemap_is_drawn_under_the_map(rendered, tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from realtime.reporting.shake_map import MapContext, draw_shake_map

    result = rendered["initial"]
    grid = result.document["grid"]
    basemap = tmp_path / "basemap.tif"
    relief = np.tile(np.linspace(0, 255, 200, dtype=np.uint8), (200, 1))
    with rasterio.open(basemap, "w", driver="GTiff", width=200, height=200, count=1, dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(grid["lon_min"] - 0.5, grid["lat_max"] + 0.5, 0.025, 0.025)) as dataset:
        dataset.write(relief, 1)
    plain = Image.open(draw_shake_map(result.folder, result.document, MapContext(None, None))).copy()
    with_basemap = Image.open(draw_shake_map(result.folder, result.document, MapContext(None, None, basemap)))
    assert plain.size == with_basemap.size
    difference = np.abs(np.asarray(plain, dtype=int) - np.asarray(with_basemap, dtype=int)).mean()
    assert difference > 1  # the relief shows through
