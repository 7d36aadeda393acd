"""Time the earthquake pipeline on a 161x161 BMKG grid and a 3 arc-second population raster.

Exposure is the only step that touches a big raster, so it is set side by side,
in the same run, with (a) the floor: reading the same window and summing it with
numpy, (b) InaSAFE 4's way: polygonise the MMI classes and take an exactextract
zonal sum per polygon, and (c) the same with rasterstats. Usage:

    python bench/bench_earthquake.py [--repeat N] [--workdir DIR] [--scenario] [--no-rasterstats]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.features import shapes
from rasterio.transform import from_origin
from rasterio.windows import Window
from scipy.ndimage import zoom

from realtime.demo_data import init_demo_analysis_data
from realtime.earthquake.exposure import population_per_mmi_class
from realtime.earthquake.fatalities import FATALITY_MODELS, estimate_fatalities
from realtime.earthquake.grid import GridSpec, ShakeGrid, parse_shake_grid, read_shake_grid
from realtime.earthquake.mmi import ROMANS, mmi_class_index
from realtime.earthquake.places import affected_places, load_places, locate_epicentre
from realtime.earthquake.scenario import scenario_grid

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared/fixtures/earthquake/shakemaps/20180220163351/grid.xml"
CELL = 1 / 1200  # 3 arc-seconds, WorldPop's 100 m grid
MARGIN_CELLS = 60  # 0.05 degree around the node rectangle
SHIFT = 1 / 3  # cells: real rasters do not line up with the ShakeMap's cell edges
OURS2, OURS1 = "exposure, ours threads=2", "exposure, ours threads=1"
FLOOR1, FLOOR2 = "(a) floor: read + numpy sum, 1 thread", "(a) floor: read + numpy sum, 2 threads"
EE, RS = "(b) polygonise + exactextract sum", "(c) polygonise + rasterstats sum"
PLACES = "places: load + affected + locate"
SEED = 20180220


def measure(steps: dict[str, Callable[[], object]], repeat: int) -> tuple[dict[str, tuple[float, float]], dict]:
    """(median, min) seconds per step over `repeat` rounds after one warm-up round, and each step's result.

    Steps run round-robin, so a burst of load from another process hits all of them alike.
    """
    results = {name: fn() for name, fn in steps.items()}
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeat):
        for name, fn in steps.items():
            start = time.perf_counter()
            results[name] = fn()
            samples[name].append(time.perf_counter() - start)
    return {name: (statistics.median(v), min(v)) for name, v in samples.items()}, results


def load_grid(scenario: bool) -> tuple[ShakeGrid, str]:
    """The real BMKG fixture when it is there, else a 161x161 point-source scenario."""
    if FIXTURE.exists() and not scenario:
        return read_shake_grid(FIXTURE), str(FIXTURE.relative_to(ROOT.parent))
    when = datetime(2018, 2, 20, 9, 29, 28, tzinfo=timezone.utc)
    _, data = scenario_grid(6.8, 15.0, 1.34, 124.42, when, "bench scenario", spacing=0.025, half_width=2.0)
    return parse_shake_grid(data, name="scenario"), "scenario M6.8 15 km (scenario_grid)"


def make_population(path: Path, spec: GridSpec) -> None:
    """Skewed synthetic people: gamma rural noise, smooth 'sea' with nobody, Gaussian cities."""
    rng = np.random.default_rng(SEED)
    width = round((spec.lon_max - spec.lon_min) / CELL) + 2 * MARGIN_CELLS
    height = round((spec.lat_max - spec.lat_min) / CELL) + 2 * MARGIN_CELLS
    coarse = rng.standard_normal((height // 240 + 2, width // 240 + 2)).astype(np.float32)
    land = zoom(coarse, (height / coarse.shape[0], width / coarse.shape[1]), order=3)
    grid = rng.gamma(0.3, 2.0, size=(height, width)).astype(np.float32)
    grid[land[:height, :width] < -0.4] = 0
    for _ in range(25):
        people = float(rng.lognormal(11, 1.2))  # ~60k median, a few towns near a million
        sigma = max(8.0, 0.25 * math.sqrt(people / 1000) / (111.32 * CELL))  # cells; 1-10 km
        row, col = rng.uniform(0, height), rng.uniform(0, width)
        reach = int(3 * sigma)
        rows = np.arange(max(0, int(row) - reach), min(height, int(row) + reach + 1))
        cols = np.arange(max(0, int(col) - reach), min(width, int(col) + reach + 1))
        kernel = np.outer(np.exp(-0.5 * ((rows + 0.5 - row) / sigma) ** 2), np.exp(-0.5 * ((cols + 0.5 - col) / sigma) ** 2))
        grid[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] += (people * kernel / kernel.sum()).astype(np.float32)
    west, north = spec.lon_min - (MARGIN_CELLS + SHIFT) * CELL, spec.lat_max + (MARGIN_CELLS + SHIFT) * CELL
    transform = from_origin(west, north, CELL, CELL)
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32", crs="EPSG:4326",
                   transform=transform, tiled=True, blockxsize=256, blockysize=256, compress="deflate", predictor=3)
    temp = path.with_suffix(".tmp.tif")
    with rasterio.open(temp, "w", **profile) as dataset:
        dataset.write(grid, 1)
    temp.replace(path)


def centre_window(spec: GridSpec, dataset) -> Window:
    """Rows and columns whose cell centres lie inside the node rectangle, as exposure.py reads them."""
    t, eps = dataset.transform, 1e-6
    col0 = max(0, math.ceil((spec.lon_min - t.c) / t.a - 0.5 - eps))
    col1 = min(dataset.width, math.floor((spec.lon_max - t.c) / t.a - 0.5 + eps) + 1)
    row0 = max(0, math.ceil((spec.lat_max - t.f) / t.e - 0.5 - eps))
    row1 = min(dataset.height, math.floor((spec.lat_min - t.f) / t.e - 0.5 + eps) + 1)
    return Window(col0, row0, col1 - col0, row1 - row0)


def floor_sum(spec: GridSpec, path: Path, threads: int = 1) -> float:
    """(a) Open, read the window and sum it: row blocks on tile boundaries, one contiguous run per thread."""
    with rasterio.open(path) as dataset:
        w, tile = centre_window(spec, dataset), dataset.block_shapes[0][0]
    stop = w.row_off + w.height
    starts = [w.row_off, *range((w.row_off // tile + 1) * tile, stop, tile)]
    blocks = [Window(w.col_off, r, w.width, e - r) for r, e in zip(starts, [*starts[1:], stop])]
    per_thread = math.ceil(len(blocks) / threads)

    def read(part: list[Window]) -> float:
        with rasterio.open(path) as dataset:
            return sum(float(dataset.read(1, window=b).sum(dtype=np.float64)) for b in part)

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(read, [blocks[i : i + per_thread] for i in range(0, len(blocks), per_thread)]))


def class_polygons(grid: ShakeGrid) -> gpd.GeoDataFrame:
    """InaSAFE 4's vector step: MMI classes of the node cells, polygonised and clipped to the node rectangle."""
    classes = mmi_class_index(grid.mmi)
    geoms, values = zip(*((shapely.geometry.shape(g), int(v)) for g, v in shapes(classes, transform=grid.spec.transform)))
    clipped = shapely.intersection(np.array(geoms), shapely.box(*grid.spec.footprint))
    return gpd.GeoDataFrame({"mmi_class": values}, geometry=clipped, crs="EPSG:4326")


def per_class(classes: np.ndarray, sums: np.ndarray) -> dict[str, float]:
    totals = np.bincount(classes, weights=sums, minlength=11)
    return {roman: float(totals[k]) for k, roman in enumerate(ROMANS, start=1)}


def exactextract_sum(grid: ShakeGrid, path: Path) -> dict[str, float]:
    """(b) Polygonise, then exactextract's fractional-coverage sum per polygon, added up per class."""
    from exactextract import exact_extract

    polygons = class_polygons(grid)
    frame = exact_extract(str(path), polygons, "sum", include_cols=["mmi_class"], output="pandas")
    return per_class(frame["mmi_class"].to_numpy(), frame["sum"].to_numpy())


def rasterstats_sum(grid: ShakeGrid, path: Path) -> dict[str, float]:
    """(c) The same with rasterstats: cells whose centre falls in a polygon."""
    from rasterstats import zonal_stats

    polygons = class_polygons(grid)
    stats = zonal_stats(list(polygons.geometry), str(path), stats="sum", nodata=-1.0)
    sums = np.array([s["sum"] or 0.0 for s in stats])
    return per_class(polygons["mmi_class"].to_numpy(), sums)


def compare(ours: dict[str, float], other: dict[str, float]) -> tuple[float, float]:
    """Largest relative difference over classes holding >= 1 % of the people, and on the total."""
    total = sum(ours.values())
    big = [r for r in ROMANS if ours[r] >= 0.01 * total or other[r] >= 0.01 * total]
    worst = max(abs(other[r] - ours[r]) / max(ours[r], other[r]) for r in big)
    return worst, abs(sum(other.values()) - total) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per step, after one warm-up")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--scenario", action="store_true", help="use an M6.8 scenario instead of the fixture")
    parser.add_argument("--no-rasterstats", action="store_true", help="skip (c), the slowest")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    grid, source = load_grid(args.scenario)
    spec, n = grid.spec, args.repeat
    population = args.workdir / f"population_{spec.lon_min:.3f}_{spec.lat_max:.3f}_{spec.nlon}x{spec.nlat}.tif"
    if not population.exists():
        print(f"generating {population} ...", flush=True)
        make_population(population, spec)
    data = init_demo_analysis_data(args.workdir / "analysis-data")
    epicentre = (grid.event.longitude, grid.event.latitude)

    def fatalities() -> list:
        return [estimate_fatalities(ours.by_class, m) for m in FATALITY_MODELS]

    def places() -> list:
        layer = load_places(data.places)
        locate_epicentre(layer, epicentre, 10000)
        return affected_places(spec, grid.mmi, layer, epicentre)

    ours = population_per_mmi_class(spec, grid.mmi, population)
    steps: dict[str, Callable[[], object]] = {}
    if FIXTURE.exists() and not args.scenario:
        steps["parse grid.xml (read_shake_grid)"] = lambda: read_shake_grid(FIXTURE)
    steps.update({
        OURS2: lambda: population_per_mmi_class(spec, grid.mmi, population, threads=2),
        OURS1: lambda: population_per_mmi_class(spec, grid.mmi, population, threads=1),
        FLOOR1: lambda: floor_sum(spec, population, 1),
        FLOOR2: lambda: floor_sum(spec, population, 2),
        EE: lambda: exactextract_sum(grid, population),
    })
    if not args.no_rasterstats:
        steps[RS] = lambda: rasterstats_sum(grid, population)
    steps["fatalities, 3 models"] = fatalities
    steps[PLACES] = places
    times, results = measure(steps, n)
    t = {name: median for name, (median, _) in times.items()}
    others = {label: results[name] for label, name in (("(b) exactextract", EE), ("(c) rasterstats", RS)) if name in results}

    with rasterio.open(population) as dataset:
        shape = f"{dataset.width}x{dataset.height}"
    print(f"grid: {source}, {spec.nlon}x{spec.nlat} nodes; population: {shape} cells, window {ours.cells:,}")
    print(f"places: {len(results[PLACES])} of {len(load_places(data.places))} inside the grid")
    print(f"median of {n} runs after one warm-up\n")
    print(f"{'step':<44}{'median ms':>11}{'min ms':>10}")
    for name, (median, fastest) in times.items():
        print(f"{name:<44}{median * 1000:>11.3f}{fastest * 1000:>10.3f}")

    print(f"\n{'class':<6}{'ours':>14}" + "".join(f"{k:>20}" for k in others))
    for roman in ROMANS:
        if ours.by_class[roman] or any(o[roman] for o in others.values()):
            print(f"{roman:<6}{ours.by_class[roman]:>14,.0f}" + "".join(f"{o[roman]:>20,.0f}" for o in others.values()))
    print(f"{'total':<6}{ours.total:>14,.0f}" + "".join(f"{sum(o.values()):>20,.0f}" for o in others.values()))
    print(f"floor sum of the window: {results[FLOOR1]:,.0f} (ours - floor = {ours.total - results[FLOOR1]:+.3f})\n")
    for name, other in others.items():
        worst, total = compare(ours.by_class, other)
        print(f"{name}: max class difference (classes >= 1 %) {worst:.2%}, total difference {total:.4%}")
    for mine, base in ((OURS2, FLOOR1), (OURS1, FLOOR1), (OURS2, FLOOR2), (OURS2, EE), (OURS2, RS)):
        if base in t:
            print(f"{mine} / {base}: {t[mine] / t[base]:.2f}")


if __name__ == "__main__":
    main()
