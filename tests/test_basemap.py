"""Land, sea and coastline on every map, checked pixel by pixel against the land mask itself.

Positions come from each map's own axes transform; whether a point is land comes from
global_land_mask directly (the source `realtime data init` derives context/land.geojson from),
not from the GeoJSON the maps draw.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
import rasterio
from global_land_mask import globe
from matplotlib.colors import to_rgb
from PIL import Image

from conftest import FLOOD_SNAPSHOT, REPO, run_cli
from realtime.analysis_data import AnalysisData
from realtime.earthquake.mmi import mmi_class_of
from realtime.earthquake.products import MMI_TIF
from realtime.earthquake.scenario import write_scenario
from realtime.flood.impact import analyse_flood
from realtime.flood.snapshot import parse_snapshot
from realtime.pipeline.shake import process_shake
from realtime.reporting.basemap import LAND_COLOUR, SEA_COLOUR
from realtime.reporting.flood_map import BOUNDARY_COLOUR, flood_map_figure
from realtime.reporting.map_parts import MapContext
from realtime.reporting.shake_map import MMI_ALPHA, SEA_VEIL, draw_shake_map, overview_figure, shake_map_figure
from test_layers import GRAPH, MODULES, imports_of

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)
EVENTS = {  # M, depth, epicentre; one 200 km off south Java, one inland of Padang
    "sea": {"magnitude": 7.0, "depth_km": 20.0, "lat": -9.8, "lon": 110.0},
    "land": {"magnitude": 6.5, "depth_km": 30.0, "lat": -0.9, "lon": 100.4},
}
RGB = dict(land=np.array(to_rgb(LAND_COLOUR)) * 255, sea=np.array(to_rgb(SEA_COLOUR)) * 255)


@pytest.fixture(scope="module")
def events(demo_data, tmp_path_factory):
    """Each scenario analysed with both reports: (folder, document)."""
    out = tmp_path_factory.mktemp("basemap")
    results = {}
    for name, event in EVENTS.items():
        grid = write_scenario(out / "grids" / name, time=datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc),
                              description=f"{name} scenario", **event)
        result = process_shake(grid, demo_data, out / name, now=NOW, locales=["en", "id"], templates_dir=REPO / "templates")
        results[name] = (result.folder, result.document)
    return results


def rendered(fig, ax):
    """The figure's pixels (RGB, top row first) and a lon/lat → (row, column) function from the axes' transform."""
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)

    def at(lon: float, lat: float) -> tuple[int, int]:
        x, y = ax.transData.transform((lon, lat))
        return int(image.shape[0] - y), int(x)

    return image, at


def land_truth(lon: float, lat: float, reach: float = 0.04) -> bool | None:
    """True or False when the land mask agrees all around the point (±reach degrees), None near a coast."""
    around = {bool(globe.is_land(lat + dy, lon + dx)) for dx in (-reach, 0, reach) for dy in (-reach, 0, reach)}
    return around.pop() if len(around) == 1 else None


def uniform_class(mmi, lon: float, lat: float, reach: float = 0.06):
    """The MMI class at a point when it is the same all around (so no contour line or blend is near)."""
    values = [v[0] for v in mmi.sample([(lon + dx, lat + dy) for dx in (-reach, 0, reach) for dy in (-reach, 0, reach)])]
    classes = {mmi_class_of(float(v)).colour for v in values}
    return np.array(to_rgb(classes.pop())) * 255 if len(classes) == 1 else None


def expected(surface: str, shading: np.ndarray) -> np.ndarray:
    """The map's colour over land or sea: the MMI colour laid over it, and at sea the sea colour again over that."""
    under = (1 - MMI_ALPHA) * RGB[surface] + MMI_ALPHA * shading
    return under if surface == "land" else (1 - SEA_VEIL) * under + SEA_VEIL * RGB["sea"]


def classify(pixel: np.ndarray, shading: np.ndarray, tolerance: float = 30) -> str | None:
    """'land' or 'sea', whichever colour the pixel has; None when it has neither (a label, a town, the scale bar)."""
    distances = {surface: np.abs(pixel - expected(surface, shading)).sum() for surface in ("land", "sea")}
    nearest = min(distances, key=distances.get)
    return nearest if distances[nearest] <= tolerance else None


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_the_map_shows_land_and_sea_where_the_land_mask_has_them(events, demo_data, name):
    folder, document = events[name]
    fig, ax = shake_map_figure(folder, document, MapContext(None, None, land=AnalysisData(demo_data).land))
    image, at = rendered(fig, ax)
    grid = document["grid"]
    verdicts = {"land": [], "sea": []}
    with rasterio.open(folder / MMI_TIF) as mmi:
        for lon in np.linspace(grid["lon_min"] + 0.2, grid["lon_max"] - 0.2, 40):
            for lat in np.linspace(grid["lat_min"] + 0.2, grid["lat_max"] - 0.2, 40):
                truth, shading = land_truth(lon, lat), uniform_class(mmi, lon, lat)
                if truth is not None and shading is not None:
                    verdicts["land" if truth else "sea"].append(classify(image[at(lon, lat)], shading))
        # beside the epicentre, clear of the star (which covers about 0.12°) and of the place labels (up and right)
        lon, lat = document["event"]["longitude"] + 0.15, document["event"]["latitude"] - 0.15
        assert land_truth(lon, lat) is (name == "land")
        assert classify(image[at(lon, lat)], uniform_class(mmi, lon, lat)) == name
    for surface, found in verdicts.items():
        seen = [verdict for verdict in found if verdict is not None]  # the rest lie under labels, towns, lines
        assert len(seen) >= 0.6 * len(found) and len(seen) >= 20, (surface, len(seen), len(found))  # both present
        assert seen.count(surface) >= 0.98 * len(seen), (surface, seen.count(surface), len(seen))  # in the right place


def test_the_overview_shows_indonesia_the_extent_and_the_epicentre_far_from_any_town(events, demo_data):
    folder, document = events["sea"]
    fig, ax = overview_figure(document, MapContext(None, None, land=AnalysisData(demo_data).land))
    image, at = rendered(fig, ax)
    for lon, lat in ((114.0, 0.5), (102.0, -1.5), (138.5, -4.5)):  # inland Borneo, Sumatra, Papua
        assert land_truth(lon, lat, reach=0.3) is True
        assert np.abs(image[at(lon, lat)] - RGB["land"]).max() <= 3
    for lon, lat in ((125.0, -6.5), (98.0, -8.0), (123.0, 3.0)):  # Banda Sea, Indian Ocean, Celebes Sea
        assert land_truth(lon, lat, reach=0.3) is False
        assert np.abs(image[at(lon, lat)] - RGB["sea"]).max() <= 3
    red = np.array(to_rgb("#d7191c")) * 255
    grid = document["grid"]
    edge = at(grid["lon_min"], (grid["lat_min"] + grid["lat_max"]) / 2)  # the extent's west side, inside the frame
    assert np.abs(image[edge] - red).max() <= 40
    assert np.abs(image[at(document["event"]["longitude"], document["event"]["latitude"])] - red).max() <= 40


def test_without_land_polygons_the_map_shows_the_shaking_on_plain_sea_and_says_why(events, tmp_path, caplog):
    folder, document = events["land"]
    caplog.set_level(logging.WARNING, logger="realtime.reporting.basemap")
    missing = tmp_path / "context" / "land.geojson"
    copy = shutil.copytree(folder, tmp_path / "event")
    assert draw_shake_map(copy, document, MapContext(None, None, land=missing)).is_file()
    fig, ax = shake_map_figure(folder, document, MapContext(None, None, land=missing))
    image, at = rendered(fig, ax)
    grid, found = document["grid"], []
    with rasterio.open(folder / MMI_TIF) as mmi:
        for lon in np.linspace(grid["lon_min"] + 0.2, grid["lon_max"] - 0.2, 20):
            for lat in np.linspace(grid["lat_min"] + 0.2, grid["lat_max"] - 0.2, 20):
                shading = uniform_class(mmi, lon, lat)
                if shading is not None:
                    # no land fill, and no sea veil either: where land is unknown the shaking keeps its strength
                    plain = (1 - MMI_ALPHA) * RGB["sea"] + MMI_ALPHA * shading
                    distances = {"plain": np.abs(image[at(lon, lat)] - plain).sum(),
                                 **{s: np.abs(image[at(lon, lat)] - expected(s, shading)).sum() for s in ("land", "sea")}}
                    found.append(min(distances, key=distances.get) if min(distances.values()) <= 30 else None)
    seen = [verdict for verdict in found if verdict is not None]
    assert len(seen) >= 0.6 * len(found) and seen.count("plain") == len(seen), (len(found), len(seen), set(seen))
    assert any("no land polygons" in r.getMessage() and str(missing) in r.getMessage() for r in caplog.records)


def test_the_flood_map_shows_the_bay_and_the_kelurahan(demo_data, jakarta_data, fixtures, tmp_path):
    from realtime.demo_data import import_kelurahan

    data = AnalysisData(jakarta_data)
    assert import_kelurahan(AnalysisData(tmp_path), fixtures / "boundaries" / "kelurahan_jakarta.shp") == 261
    snapshot = parse_snapshot(FLOOD_SNAPSHOT.read_bytes())
    impact = analyse_flood(snapshot, "2017022105-6-rw", data, "PetaBencana.id")
    (tmp_path / "impact.geojson").write_text(json.dumps(impact.geojson()))
    land = AnalysisData(demo_data).land
    grey = np.array(to_rgb(BOUNDARY_COLOUR)) * 255
    counts = {}
    for boundaries in (None, AnalysisData(tmp_path).kelurahan):
        fig, ax = flood_map_figure(tmp_path, impact.document, MapContext(None, None, land=land, boundaries=boundaries))
        image, at = rendered(fig, ax)
        bay = (106.85, -6.085)  # Jakarta Bay, off Ancol
        assert land_truth(*bay, reach=0.005) is False
        assert np.abs(image[at(*bay)] - RGB["sea"]).max() <= 3
        counts[boundaries is not None] = int((np.abs(image - grey).max(axis=2) <= 12).sum())
    assert counts[True] > 8 * counts[False]  # the outlines appear only with the boundaries


def test_the_earthquake_page_gives_its_space_to_the_map(events):
    folder, document = events["land"]
    for locale, products in document["products"]["reports"].items():
        pdf = pypdfium2.PdfDocument(str(folder / products["pdf"]))
        assert len(pdf) == 1
        widths = [(obj.get_bounds()[2] - obj.get_bounds()[0]) / 72 * 25.4
                  for obj in pdf[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]
        pdf.close()
        assert max(widths) >= 120, (locale, widths)  # the map, 100 mm wide before, of the 190 mm text width
        page = np.asarray(Image.open(folder / products["png"]).convert("L"))
        inked = np.flatnonzero((page < 200).any(axis=1))
        assert inked[-1] / page.shape[0] >= 0.85, locale  # the content reaches the foot of the page


def test_data_init_adds_land_to_an_older_folder_and_imports_kelurahan(demo_data, fixtures, tmp_path):
    folder = tmp_path / "analysis-data"
    shutil.copytree(demo_data, folder)
    (folder / "context" / "land.geojson").unlink()
    readme = (folder / "README.md").read_text()
    (folder / "README.md").write_text(readme[: readme.index("## Land and sea")])  # as an older data init left it
    population = (folder / "exposure" / "population.tif").stat().st_mtime_ns
    shapefile = fixtures / "boundaries" / "kelurahan_jakarta.shp"
    result = run_cli("data", "init", str(folder), "--kelurahan", str(shapefile))
    assert result.returncode == 0, result.stderr
    assert "261 village boundaries" in " ".join(result.stdout.split())
    land = json.loads((folder / "context" / "land.geojson").read_text())
    readme = (folder / "README.md").read_text()
    assert readme.count("## Land and sea") == 1
    assert re.search(rf"`context/land.geojson`: {len(land['features'])} land polygons", readme)
    assert "global-land-mask" in readme and "public domain" in readme and "MIT" in readme
    assert (folder / "exposure" / "population.tif").stat().st_mtime_ns == population  # the rest is kept
    kelurahan = json.loads((folder / "context" / "kelurahan.geojson").read_text())
    assert len(kelurahan["features"]) == 261
    stamp = (folder / "context" / "land.geojson").stat().st_mtime_ns
    assert run_cli("data", "init", str(folder)).returncode == 0
    assert (folder / "context" / "land.geojson").stat().st_mtime_ns == stamp
    assert (folder / "README.md").read_text().count("## Land and sea") == 1


def test_the_land_file_agrees_with_the_land_mask(demo_data):
    """Random points over Indonesia: inside a land polygon exactly where the 1 km mask says land, away from coasts."""
    from shapely import STRtree, points
    from shapely.geometry import shape

    features = json.loads(AnalysisData(demo_data).land.read_text(encoding="utf-8"))["features"]
    tree = STRtree([shape(feature["geometry"]) for feature in features])
    rng = np.random.default_rng(13)
    lons, lats = rng.uniform(94.5, 141.5, 3000), rng.uniform(-11.5, 6.5, 3000)
    truth = [land_truth(lon, lat, reach=0.02) for lon, lat in zip(lons, lats)]
    inside = np.zeros(len(lons), dtype=bool)
    inside[tree.query(points(lons, lats), predicate="within")[0]] = True
    clear = [i for i, t in enumerate(truth) if t is not None]
    agree = np.mean([inside[i] == truth[i] for i in clear])
    assert sum(truth[i] for i in clear) > 300 and agree >= 0.995, agree


def test_reports_never_load_the_land_mask():
    """The mask costs 1 GB: the maps read land.geojson only, so no reporting or pipeline module imports it."""
    heavy = [name for name in MODULES if name.startswith(("realtime.reporting", "realtime.pipeline"))
             and ("global_land_mask" in imports_of(name)[1] or "realtime.geography" in GRAPH[name])]
    assert heavy == []
