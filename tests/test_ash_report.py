"""The volcanic ash report from a hand-built impact.json and class polygons, read back from the PDFs."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pypdfium2
import pytest

from conftest import REPO
from realtime.analysis_data import AnalysisData
from realtime.reporting.ash_report import render_ash_reports
from realtime.reporting.pages import page_count

TEMPLATES = REPO / "templates"
ASH_ID = "201702211904+0700_Merapi"
NOW = datetime(2017, 2, 21, 14, 34, tzinfo=timezone.utc)  # 2 h 30 min after the eruption
HOSTILE = "<b>Kota</b> & $\\frac$ Dukuh"
CLASS_ROWS = (  # key, min, max, en, id, colour, people
    ("very_low", 0.01, 0.1, "Very Low", "Sangat Rendah", "#0F74BC", 123.4),
    ("low", 0.1, 2, "Low", "Rendah", "#00ADEF", 4567.0),
    ("medium", 2, 5, "Moderate", "Sedang", "#FFF004", 150001.0),
    ("high", 5, 10, "High", "Tinggi", "#FCB040", 0.0),
    ("very_high", 10, None, "Very High", "Sangat Tinggi", "#E32031", 999.5),
)
# Rounded up as InaSAFE shows people: to 10 below 1,000, to 100 below 100,000, else to 1,000.
# 123.4 -> 130; 4,567 -> 4,600; 150,001 -> 151,000; 0 -> 0; 999.5 -> 1,000 (step 10: 100 x 10);
# total 155,690.9 -> 156,000; displaced = very high only (high has nobody) = 999.5 -> 1,000.
EN_PEOPLE = ("130", "4,600", "151,000", "1,000", "156,000")
ID_PEOPLE = ("130", "4.600", "151.000", "1.000", "156.000")
EN_TERMS = ("Volcanic Ash Impact Report", "Eruption Event ID", "Alert level", "Siaga (level III, Watch)",
            "Report expires", "22 February 2017 19:04:00 WIB", "Model duration", "3 days", "2 hours 30 minutes",
            "Eruption column height (a.s.l.)", "12,968 m", "7°32′31″S 110°26′31″E", "Magelang", "Potential impact",
            "Ash thickness range (cm)", "0.01–0.1", "> 10", "Nearby places", "Landcover impact", "Rice field", "12.3",
            "Airborne ash", "aviation")
ID_TERMS = ("Laporan Dampak Abu Vulkanik", "ID Kejadian Erupsi", "Gunung", "Waktu berlalu sejak kejadian",
            "Laporan kadaluarsa", "22 Februari 2017 19:04:00 WIB", "Durasi model", "3 hari", "Tingkat peringatan",
            "Siaga (level III)", "Tinggi kolom erupsi (d.p.l)", "12.968 m", "Posisi", "7°32′31″S 110°26′31″T",
            "Provinsi", "Dampak potensial pada setiap tingkat kejatuhan", "Tingkat Jatuhan",
            "Perkiraan Penduduk Terpapar", "Dampak Potensial", "Rentang Ketebalan Abu (cm)", "0,01–0,1", "Sangat Rendah",
            "Lokasi sekitar", "Penduduk/Bandara Terdampak", "Dampak Penutup Lahan", "Sawah", "12,3", "Batasan",
            "penerbangan", "Bandara")


def place(name: str, population: int, class_key: str, lon: float, lat: float, distance: float, direction: str,
          kind: str = "place", iata: str | None = None) -> dict:
    return {"name": name, "population": population, "thickness_cm": 1.0, "class_key": class_key,
            "distance_km": distance, "bearing_deg": 0.0, "direction": direction, "longitude": lon, "latitude": lat,
            "kind": kind, "iata": iata}


def square(lon: float, lat: float, half: float) -> list:
    return [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
             [lon - half, lat - half]]]


def ash_document() -> dict:
    """impact.json as the design shapes it: Merapi, Siaga, 10 km above the 2,968 m vent, 3 days."""
    return {
        "schema_version": 1, "hazard": "volcanic_ash", "ash_id": ASH_ID,
        "volcano": {"name": "Merapi", "latitude": -7.542, "longitude": 110.442, "elevation_m": 2968,
                    "region": "Magelang", "source": "GVP 263250"},
        "event": {"time": "2017-02-21T19:04:00+07:00", "timezone": "WIB", "eruption_height_m": 10000,
                  "column_height_asl_m": 12968, "alert_level": "siaga", "forecast_duration_days": 3,
                  "region": "Magelang"},
        "input": {"name": "merapi.tif", "sha256": "0" * 64},
        "hazard_extent": {"lon_min": 110.0, "lat_min": -7.9, "lon_max": 110.8, "lat_max": -7.2},
        "max_thickness_cm": 31.4,
        "classes": [{"key": k, "min_cm": lo, "max_cm": hi, "label": {"en": en, "id": id_}, "colour": colour,
                     "impact": {"en": f"{en} impact text", "id": f"Teks dampak {id_}"}, "people": people,
                     "displaced": people if k in ("high", "very_high") else 0.0}
                    for k, lo, hi, en, id_, colour, people in CLASS_ROWS],
        "exposure": {row[0]: row[6] for row in CLASS_ROWS},
        "exposure_total": sum(row[6] for row in CLASS_ROWS),
        "summary": {"affected": sum(row[6] for row in CLASS_ROWS), "displaced": 999.5},
        "places": [place("Muntilan", 80000, "very_high", 110.29, -7.58, 17.0, "W"),
                   place(HOSTILE, 1234, "medium", 110.22, -7.45, 26.0, "WNW")],
        "airports": [place("Adisutjipto", 0, "low", 110.43, -7.79, 28.0, "S", kind="airport", iata="JOG")],
        "landcover": {"settlement": 4.0, "rice_field": 12.34, "forest": 7.0},
        "sources": {"hazard": "merapi.tif", "population": "WorldPop 2020", "places": "GeoNames"},
        "software": {"name": "inasafe-realtime", "version": "9.9.9"},
        "generated_at": "2017-02-21T14:34:00+00:00",
        "products": {"hazard": "ash_fall.tif", "classes": "ash_classes.geojson", "reports": {}},
    }


def write_event_folder(folder: Path, document: dict) -> Path:
    """The class polygons the map draws: squares around points west of Merapi, one class each."""
    folder.mkdir(parents=True, exist_ok=True)
    centres = {"very_low": (110.05, -7.3), "low": (110.15, -7.4), "medium": (110.22, -7.45), "very_high": (110.35, -7.55)}
    features = [{"type": "Feature", "properties": {"key": key, "colour": colour},
                 "geometry": {"type": "MultiPolygon", "coordinates": [square(*centres[key], 0.05)]}}
                for key, *_, colour, _people in CLASS_ROWS if key in centres]
    (folder / "ash_classes.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return folder


def analysis_data(root: Path) -> AnalysisData:
    """Only land: a box over central Java, so the map has land, sea and a coastline."""
    (root / "context").mkdir(parents=True, exist_ok=True)
    land = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square(110.4, -7.3, 0.4)}}
    (root / "context" / "land.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [land]}))
    return AnalysisData(root)


def pdf_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return " ".join(" ".join(page.get_textpage().get_text_range() for page in document).split())
    finally:
        document.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    document = ash_document()
    folder = write_event_folder(tmp_path_factory.mktemp("ash") / ASH_ID, document)
    data = analysis_data(tmp_path_factory.mktemp("analysis-data"))
    products = render_ash_reports(document, folder, ["en", "id"], data, templates_dir=TEMPLATES, now=NOW)
    return folder, products


def test_one_a4_page_per_locale_with_the_facts_and_rounded_people(rendered):
    folder, products = rendered
    assert products == {loc: {"pdf": f"{ASH_ID}-{loc}.pdf", "png": f"{ASH_ID}-{loc}.png",
                              "thumbnail": f"{ASH_ID}-thumb-{loc}.png"} for loc in ("en", "id")}
    for locale, terms, people in (("en", EN_TERMS, EN_PEOPLE), ("id", ID_TERMS, ID_PEOPLE)):
        names = products[locale]
        assert all((folder / name).stat().st_size > 1000 for name in names.values())
        assert page_count(folder / names["pdf"]) == 1
        text = pdf_text(folder / names["pdf"])
        assert "Merapi" in text and ASH_ID in text
        squeezed = text.replace(" ", "")  # narrow headers wrap ("Penduduk/ Bandara")
        missing = [term for term in (*terms, *people) if term.replace(" ", "") not in squeezed]
        assert missing == [], f"{locale}: {missing}"
    id_text = pdf_text(folder / products["id"]["pdf"])
    assert "Volcanic Ash Impact Report" not in id_text and "Report expires" not in id_text


def test_rows_are_in_class_order_with_their_rounded_people(rendered):
    folder, products = rendered
    text = pdf_text(folder / products["en"]["pdf"])
    table = text[text.index("Potential impact at each fallout level"):]
    rows = [f"Very Low 130 Very Low impact text 0.01–0.1", "Low 4,600 Low impact text 0.1–2",
            "Moderate 151,000 Moderate impact text 2–5", "High 0 High impact text 5–10",
            "Very High 1,000 Very High impact text > 10", "Total 156,000"]
    positions = [table.find(row) for row in rows]
    assert -1 not in positions, dict(zip(rows, positions))
    assert positions == sorted(positions)


def test_place_names_with_markup_are_text(rendered):
    folder, products = rendered
    text = pdf_text(folder / products["en"]["pdf"])
    assert HOSTILE.replace(" ", "") in text.replace(" ", "")  # escaped by Jinja: shown as typed, not read as HTML
    assert "<b>Kota</b>" in text
    assert "Adisutjipto (JOG)" in text and "17 km W" in text and "28 km S" in text


def test_without_landcover_or_airports_those_parts_are_left_out(tmp_path):
    document = copy.deepcopy(ash_document())
    document.update(landcover=None, airports=None, ash_id="201702211904+0700_Kelud")
    folder = write_event_folder(tmp_path / document["ash_id"], document)
    products = render_ash_reports(document, folder, ["en", "id"], None, templates_dir=TEMPLATES, now=NOW,
                                  parallel=False)
    en, id_ = (pdf_text(folder / products[loc]["pdf"]) for loc in ("en", "id"))
    assert page_count(folder / products["en"]["pdf"]) == 1
    assert "Landcover impact" not in en and "Rice field" not in en and "Airport" not in en
    assert "Dampak Penutup Lahan" not in id_ and "Bandara" not in id_
    assert "Muntilan" in en and "156,000" in en and "Jumlah penduduk" in id_


def test_map_draws_each_class_in_its_colour_over_land_and_sea(tmp_path):
    """Pixels read through the map's own axes: ash at 0.7 opacity over the land or sea colour, the volcano on top."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import to_rgb

    from realtime.reporting.ash_map import ash_map_figure
    from realtime.reporting.ash_report import table_places
    from realtime.reporting.basemap import LAND_COLOUR, SEA_COLOUR
    from realtime.reporting.map_parts import MapContext

    document = ash_document()
    folder = write_event_folder(tmp_path / ASH_ID, document)
    land = {"type": "Feature", "properties": {},  # land east of 110.3°E only: the very low square lies at sea
            "geometry": {"type": "Polygon", "coordinates": [[[110.3, -8.5], [111.5, -8.5], [111.5, -6.5], [110.3, -6.5],
                                                             [110.3, -8.5]]]}}
    (tmp_path / "land.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [land]}))
    fig, ax = ash_map_figure(folder, document, MapContext(None, None, land=tmp_path / "land.geojson"),
                             table_places(document))
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    plt.close(fig)

    def pixel(lon: float, lat: float) -> np.ndarray:
        x, y = ax.transData.transform((lon, lat))
        return image[int(round(image.shape[0] - y)), int(round(x))]

    def blend(colour: str, under: str) -> np.ndarray:
        return (0.7 * np.array(to_rgb(colour)) + 0.3 * np.array(to_rgb(under))) * 255

    # #E32031 over #f2efe6 = (231.5, 94.1, 103.3); #0F74BC over #dbe8f0 = (76.2, 150.8, 203.6)
    assert np.allclose(pixel(110.38, -7.52), blend("#E32031", LAND_COLOUR), atol=3)
    assert np.allclose(pixel(110.05, -7.30), blend("#0F74BC", SEA_COLOUR), atol=3)
    assert np.allclose(pixel(110.05, -7.55), np.array(to_rgb(SEA_COLOUR)) * 255, atol=3)
    assert np.allclose(pixel(110.45, -7.35), np.array(to_rgb(LAND_COLOUR)) * 255, atol=3)
    assert np.allclose(pixel(110.442, -7.542), np.array(to_rgb("#7a1f0f")) * 255, atol=3)
