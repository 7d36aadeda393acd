"""Bilingual flood reports rendered from the real 2017-02-21 PetaBencana snapshot and read back as text."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pypdfium2
import pytest
import rasterio
from PIL import Image

from conftest import REPO
from realtime.analysis_data import AnalysisData
from realtime.flood.impact import analyse_flood
from realtime.flood.snapshot import parse_snapshot
from realtime.reporting.flood_report import render_flood_reports, report_context
from realtime.reporting.map_parts import MapContext

TEMPLATES = REPO / "templates"
FLOOD_ID = "2017022105-6-rw"
JAKARTA_POPULATION = 9_607_787
NOW = datetime(2017, 2, 21, 5, 20, tzinfo=timezone.utc)
EN_TERMS = ("Flood Impact Report", "People affected", "Displaced people", "Flooded RWs", "Minimum needs",
            "Most affected villages", "Rice (kg)", "Weekly", "Once", "Use caution", "Disclaimer", "WIB")
ID_TERMS = ("Laporan Dampak Banjir", "Penduduk terdampak", "Pengungsi", "RW tergenang", "Kebutuhan minimum",
            "Kelurahan paling terdampak", "Beras (kg)", "Air Minum", "Piranti Pokok Keluarga", "Mingguan", "Sekali",
            "Waspada", "Batasan", "Februari", "WIB")


def analysis_data(fixtures: Path, root: Path) -> AnalysisData:
    """The Jakarta population fixture scaled to the city's 9,607,787 people, as the analysis raster."""
    with rasterio.open(fixtures / "exposure" / "Population_Jakarta_geographic.asc") as source:
        people = source.read(1, masked=True).astype("float64")
        transform = source.transform
    people *= JAKARTA_POPULATION / people.sum()
    (root / "exposure").mkdir(parents=True)
    (root / "context").mkdir()
    with rasterio.open(root / "exposure" / "population.tif", "w", driver="GTiff", width=people.shape[1],
                       height=people.shape[0], count=1, dtype="float32", crs="EPSG:4326", transform=transform,
                       nodata=-9999) as target:
        target.write(people.filled(-9999).astype("float32"), 1)
        target.update_tags(SOURCE="Population_Jakarta_geographic (test fixture)")
    (root / "context" / "places.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    return AnalysisData(root)


@pytest.fixture(scope="module")
def rendered(fixtures, tmp_path_factory):
    data = analysis_data(fixtures, tmp_path_factory.mktemp("analysis-data"))
    snapshot = parse_snapshot((fixtures / "flood" / "petabencana-2017022105.json").read_bytes())
    impact = analyse_flood(snapshot, FLOOD_ID, data, "PetaBencana.id")
    folder = tmp_path_factory.mktemp("flood") / FLOOD_ID
    folder.mkdir()
    (folder / "impact.json").write_text(json.dumps(impact.document))
    (folder / "impact.geojson").write_text(json.dumps(impact.geojson()))
    products = render_flood_reports(impact.document, folder, ["en", "id"], MapContext(data.population, None),
                                    TEMPLATES, NOW)
    return impact.document, folder, products


def pdf_text(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())


def test_each_report_is_one_a4_page_with_the_key_facts(rendered):
    document, folder, products = rendered
    assert set(products) == {"en", "id"}
    affected = document["summary"]["affected"]
    assert 100_000 < affected < 2_000_000  # sanity: a big flood, but only part of Jakarta
    for locale, terms, separator in (("en", EN_TERMS, ","), ("id", ID_TERMS, ".")):
        names = products[locale]
        assert names == {"pdf": f"{FLOOD_ID}-{locale}.pdf", "png": f"{FLOOD_ID}-{locale}.png",
                         "thumbnail": f"{FLOOD_ID}-thumb-{locale}.png"}
        pdf = pypdfium2.PdfDocument(str(folder / names["pdf"]))
        assert len(pdf) == 1
        assert tuple(round(v) for v in pdf[0].get_size()) == (595, 842)  # A4 in points
        pdf.close()
        text = pdf_text(folder / names["pdf"])
        assert FLOOD_ID in text
        shown = f"{int(np.ceil(affected / 1000) * 1000):,}".replace(",", separator)  # rounded up to thousands
        assert shown in text, (locale, shown)
        for term in terms:
            assert term in text, (locale, term)
        top = document["villages"][0]["name"].title()
        assert top in text
        png = Image.open(folder / names["png"])
        assert abs(png.width - 1240) <= 2 and abs(png.height - 1754) <= 2  # A4 at 150 dpi
        assert Image.open(folder / names["thumbnail"]).size == (200, 200)


def test_english_and_indonesian_do_not_mix(rendered):
    _, folder, products = rendered
    en = pdf_text(folder / products["en"]["pdf"])
    id_ = pdf_text(folder / products["id"]["pdf"])
    assert "Laporan" not in en and "Pengungsi" not in en
    assert "Flood Impact Report" not in id_ and "Displaced people" not in id_ and "Rice" not in id_


def test_needs_are_split_by_frequency_for_the_displaced(rendered):
    document, _, _ = rendered
    context = report_context(document, "en", TEMPLATES, NOW)
    weekly, once = context["needs"]
    assert [row["name"] for row in weekly["rows"]] == ["Rice", "Drinking Water", "Clean Water", "Family Kits"]
    assert [row["name"] for row in once["rows"]] == ["Toilets"]
    assert f"{document['needs']['displaced']:,}" in context["needs_title"]


def test_map_shows_flooded_areas_in_class_colours(rendered):
    _, folder, products = rendered
    thumb = np.asarray(Image.open(folder / products["en"]["thumbnail"]).convert("RGB"), dtype=int)
    low_blue = np.array([0x6B, 0xAE, 0xD6])
    assert (np.abs(thumb - low_blue).sum(axis=2) < 40).mean() > 0.01  # state 2 RWs visible at 200 px


def test_a_document_without_villages_still_renders(rendered, tmp_path):
    document, folder, _ = rendered
    empty = {**document, "flood_id": "2017022106-6-rw", "villages": [],
             "summary": {**document["summary"], "flooded_villages": 0, "caution_rw": 0}}
    for name in ("impact.geojson",):
        (tmp_path / name).write_text((folder / name).read_text())
    products = render_flood_reports(empty, tmp_path, ["id"], MapContext(None, None), TEMPLATES, NOW)
    text = pdf_text(tmp_path / products["id"]["pdf"])
    assert "Tidak ada kelurahan yang tergenang." in text
