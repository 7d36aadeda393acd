"""Legacy inputs from the shared fixtures, through the commands a user runs.

- The 2012 FTP pair (earthquake.md §1.3): `<id>.out.zip` holds ShakeMap's output folder (grid.xml, mi.grd, ...)
  and is processed; `<id>.inp.zip` holds only ShakeMap's inputs (event.xml, db_dat.xml), no grid, and is refused
  with one line. mi.grd is ShakeMap's own GMT (netCDF) grid of the same MMI: the MMI our products carry must
  equal it node for node.
- GPWv3's Population_2010_clip.tif carries -9999 in 31,255 cells without declaring a NoData value: those cells
  are no data, not -9,999 people each.
Expected values come from the fixture files, read here with zipfile, rasterio and numpy.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import rasterio

from conftest import EQ, FIXTURES, GRID_ZIP, run_cli

INPUT_ZIP = EQ / "legacy-zip" / "20120726022003.inp.zip"
OUTPUT_MEMBER = "usr/local/smap/data/20120726022003/output/"
GPW_CLIP = FIXTURES / "exposure" / "Population_2010_clip.tif"


@pytest.fixture(scope="module")
def legacy_products(fixtures, demo_data, tmp_path_factory):
    """`realtime shake process` on the 2012 out.zip: (event folder, the unzipped output folder)."""
    root = tmp_path_factory.mktemp("legacy-zip")
    result = run_cli("shake", "process", str(GRID_ZIP), "--analysis-data", str(demo_data), "--output",
                     str(root / "out"), env={"INASAFE_LOCALE": "en"})
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(GRID_ZIP) as archive:
        archive.extractall(root / "unzipped")
    return root / "out" / "20120726022003", root / "unzipped" / OUTPUT_MEMBER


def test_legacy_out_zip_is_processed_from_its_grid_xml(legacy_products):
    folder, unzipped = legacy_products
    impact = json.loads((folder / "impact.json").read_text())
    assert impact["shake_id"] == "20120726022003" and impact["source_type"] == "initial"
    # the version recorded is the grid.xml inside the zip, byte for byte
    assert impact["input"]["sha256"] == hashlib.sha256((unzipped / "grid.xml").read_bytes()).hexdigest()
    info = {tag.get("name"): tag.get("value") for tag in ET.parse(unzipped / "info.xml").getroot()}
    assert impact["grid"]["max_mmi"] == float(info["mi_max"]) == 5.27  # ShakeMap's own run summary
    west, east, south, north = (float(v) for v in info["map_bound"].split("/"))
    assert (impact["grid"]["lon_min"], impact["grid"]["lon_max"], impact["grid"]["lat_min"],
            impact["grid"]["lat_max"]) == pytest.approx((west, east, south, north))
    assert impact["exposure_total"] > 0 and (folder / "20120726022003-en.pdf").is_file()


def test_our_mmi_product_equals_shakemaps_mi_grd_node_for_node(legacy_products):
    folder, unzipped = legacy_products
    with rasterio.open(unzipped / "mi.grd") as grd, rasterio.open(folder / "mmi.tif") as ours:
        assert grd.driver == "netCDF" and grd.shape == ours.shape == (161, 161)
        theirs, mine = grd.read(1), ours.read(1)
        # the same lattice: node (cell-centre) coordinates agree
        assert tuple(grd.transform)[:6] == pytest.approx(tuple(ours.transform)[:6], abs=1e-9)
    # both are float32 copies of ShakeMap's values (grid.xml prints 2 decimals): equal within float32 rounding
    assert np.abs(mine.astype(np.float64) - theirs).max() <= 5e-7
    assert np.array_equal(np.round(mine.astype(np.float64), 2), np.round(theirs.astype(np.float64), 2))
    assert theirs.max() == pytest.approx(5.27) and np.unravel_index(theirs.argmax(), theirs.shape) == (80, 80)


def test_legacy_input_zip_is_refused_in_one_clear_line(fixtures, tmp_path):
    with zipfile.ZipFile(INPUT_ZIP) as archive:
        names = sorted(n.rsplit("/", 1)[-1] for n in archive.namelist() if not n.endswith("/"))
    assert names == ["db_dat.xml", "event.xml"]  # ShakeMap's inputs: nothing to analyse yet
    result = run_cli("shake", "process", str(INPUT_ZIP), "--output", str(tmp_path))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(INPUT_ZIP) in lines[0] and "no grid.xml inside the zip" in lines[0]
    assert not any(tmp_path.iterdir())


def _grid_bounds(grid_xml) -> tuple[float, float, float, float]:
    spec = next(e for e in ET.parse(grid_xml).getroot() if e.tag.endswith("grid_specification"))
    return tuple(float(spec.get(k)) for k in ("lon_min", "lat_min", "lon_max", "lat_max"))


def test_undeclared_negative_population_counts_as_no_data(fixtures, tmp_path):
    """An analysis-data folder whose population raster is the GPWv3 clip; a scenario grid covering part of it."""
    data = tmp_path / "analysis-data"
    (data / "exposure").mkdir(parents=True)
    (data / "context").mkdir()
    population = data / "exposure" / "population.tif"
    shutil.copyfile(GPW_CLIP, population)
    (data / "context" / "places.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [100.35, -0.95]},
         "properties": {"name": "Padang", "population": 833562}}]}))
    made = run_cli("shake", "scenario", str(tmp_path / "grids"), "--magnitude", "6.5", "--lat", "-1.0", "--lon",
                   "100.6", "--half-width", "1", "--time", "2009-09-30T17:16:10", "--description", "Padang")
    assert made.returncode == 0, made.stderr
    (grid_xml,) = (tmp_path / "grids").glob("*/grid.xml")
    result = run_cli("shake", "process", str(grid_xml), "--analysis-data", str(data), "--output",
                     str(tmp_path / "out"), env={"INASAFE_LOCALE": "en"})
    assert result.returncode == 0, result.stdout + result.stderr

    # independently: the cells whose centres lie in the grid's node rectangle, negative ones left out
    with rasterio.open(GPW_CLIP) as dataset:
        assert dataset.nodata is None  # the point of the fixture: -9999 is not declared
        cells, t = dataset.read(1), dataset.transform
    rows, cols = np.mgrid[0 : cells.shape[0], 0 : cells.shape[1]]
    lon, lat = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e
    west, south, east, north = _grid_bounds(grid_xml)
    inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    assert (cells[inside] == -9999).sum() > 10_000 and (cells[inside] < 0).sum() == (cells[inside] == -9999).sum()
    expected = float(cells[inside & (cells >= 0)].sum())
    assert inside.sum() < cells.size  # the grid covers part of the raster only

    impact = json.loads((tmp_path / "out" / grid_xml.parent.name / "impact.json").read_text())
    assert impact["exposure_total"] == pytest.approx(expected, rel=1e-9)
    assert sum(impact["exposure"].values()) == pytest.approx(expected, rel=1e-9)
    warnings = [line for line in result.stderr.splitlines() if "negative cells" in line]
    assert len(warnings) == 1 and str(population) in warnings[0] and "no data" in warnings[0], result.stderr


def _overlap(edges: np.ndarray, low: float, high: float) -> np.ndarray:
    """Share of each cell [edges[k], edges[k+1]] (either order) inside [low, high]."""
    a, b = np.minimum(edges[:-1], edges[1:]), np.maximum(edges[:-1], edges[1:])
    return np.clip(np.minimum(b, high) - np.maximum(a, low), 0, None) / (b - a)


def test_flood_zonal_sums_leave_out_undeclared_negative_cells(fixtures):
    """The flood side's raster sums (exactextract, cut cells by coverage) on the GPWv3 clip: a box whose edges
    cut cells, its south-east corner 0.1 cell past a cell edge (a window cut short there loses people)."""
    from shapely.geometry import box

    from realtime.flood.exposure import people_per_polygon_raster

    with rasterio.open(GPW_CLIP) as dataset:
        cells, t = dataset.read(1), dataset.transform
    rows, cols = (20.8, 150.1), (30.8, 200.1)  # in cell units from the raster's north-west corner
    west, east = (t.c + c * t.a for c in cols)
    north, south = (t.f + r * t.e for r in rows)
    # independently: each cell's covered share is the product of its row's and its column's overlaps
    share = np.outer(_overlap(t.f + np.arange(cells.shape[0] + 1) * t.e, south, north),
                     _overlap(t.c + np.arange(cells.shape[1] + 1) * t.a, west, east))
    assert (cells[share > 0] == -9999).sum() > 5000
    expected = float((np.where(cells >= 0, cells, 0) * share).sum())
    (people,) = people_per_polygon_raster([box(west, south, east, north)], GPW_CLIP)
    assert people == pytest.approx(expected, rel=1e-9)
    assert people_per_polygon_raster([box(90, 10, 91, 11)], GPW_CLIP).tolist() == [0.0]  # off the raster


def test_flood_zonal_sums_on_a_projected_raster_leave_out_negative_cells(fixtures, tmp_path):
    """The same clip in UTM 47S (raw -9999 kept, still undeclared): our sum equals exactextract's on a copy whose
    negative cells are zeroed with numpy."""
    from exactextract import exact_extract
    from rasterio.warp import Resampling, calculate_default_transform, reproject
    from shapely.geometry import box

    from realtime.flood.exposure import people_per_polygon_raster

    with rasterio.open(GPW_CLIP) as source:
        transform, width, height = calculate_default_transform(source.crs, "EPSG:32747", source.width,
                                                               source.height, *source.bounds)
        utm = np.zeros((height, width), dtype=np.float64)
        reproject(source.read(1), utm, src_transform=source.transform, src_crs=source.crs, dst_transform=transform,
                  dst_crs="EPSG:32747", resampling=Resampling.nearest)
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float64",
               "crs": "EPSG:32747", "transform": transform}
    raw, zeroed = tmp_path / "raw.tif", tmp_path / "zeroed.tif"
    for path, cells in ((raw, utm), (zeroed, np.where(utm < 0, 0.0, utm))):
        with rasterio.open(path, "w", **profile) as dataset:
            dataset.write(cells, 1)
    assert (utm == -9999).sum() > 10_000
    area = box(100.0, -1.5, 101.3, -0.4)
    frame = gpd.GeoDataFrame(geometry=[area], crs="EPSG:4326").to_crs("EPSG:32747")
    expected = float(exact_extract(str(zeroed), frame, "sum", output="pandas")["sum"].iloc[0])
    assert people_per_polygon_raster([area], raw)[0] == pytest.approx(expected, rel=1e-9)
