"""Whole `shake process` timing: analysis only against analysis with both report locales, in the same rounds.

Two events, each with a synthetic 3 arc-second population raster over its footprint (made by
bench_earthquake.make_population, cached in the work folder) and the demo places and land:
- fixture: the real 161x161 BMKG grid (M5.0 Minahasa, mostly sea);
- padang: a scenario grid, M7.6 80 km deep under Padang (half land, a long coastline to draw).
Rounds alternate the two modes (analysis, then reports), so machine load hits both alike; the ratio
of their medians is the figure the goal is set on (reports within 3x the analysis alone).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

from bench_earthquake import make_population
from realtime.demo_data import init_demo_analysis_data
from realtime.earthquake.grid import read_shake_grid
from realtime.earthquake.places import load_places
from realtime.earthquake.scenario import write_scenario
from realtime.pipeline.shake import process_shake
from realtime.reporting.map_parts import MapContext
from realtime.reporting.shake_map import draw_overview, draw_shake_map

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO.parent / "shared" / "fixtures" / "earthquake" / "shakemaps" / "20180220163351" / "grid.xml"
PADANG = {"magnitude": 7.6, "lat": -0.72, "lon": 99.87, "depth_km": 80.0, "description": "Padang (bench scenario)",
          "time": datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)}


def prepare(name: str, grid: Path, workdir: Path, data: Path) -> Path:
    """An analysis-data folder for one event: the shared demo places and land, its own population raster."""
    spec = read_shake_grid(grid).spec
    raster = workdir / f"population_{spec.lon_min:.3f}_{spec.lat_max:.3f}_{spec.nlon}x{spec.nlat}.tif"
    if not raster.exists():
        print(f"generating {raster} ...", flush=True)
        make_population(raster, spec)
    folder = workdir / f"process-data-{name}"
    (folder / "exposure").mkdir(parents=True, exist_ok=True)
    for part in ("context", "README.md"):
        if not (folder / part).exists():
            (folder / part).symlink_to(data / part)
    target = folder / "exposure" / "population.tif"
    target.unlink(missing_ok=True)
    os.link(raster, target)
    return folder


def rounds(grid: Path, data: Path, out: Path, repeat: int) -> dict[str, list]:
    """Alternate analysis-only and full runs; also time the two map drawings alone (new code draws land)."""
    runs: dict[str, list] = {"analysis": [], "reports": [], "map": [], "overview": []}
    context_fields = {f.name for f in fields(MapContext)}
    process_shake(grid, data, out, now=datetime.now(timezone.utc), locales=["en", "id"])  # warm-up
    for _ in range(repeat):
        for mode, locales in (("analysis", []), ("reports", ["en", "id"])):
            start = time.perf_counter()
            result = process_shake(grid, data, out, now=datetime.now(timezone.utc), locales=locales)
            runs[mode].append((time.perf_counter() - start, result.timings))
        wanted = {"population": data / "exposure" / "population.tif", "places": load_places(data / "context" / "places.geojson"),
                  "land": data / "context" / "land.geojson"}
        context = MapContext(**{key: value for key, value in wanted.items() if key in context_fields})
        for key, draw in (("map", draw_shake_map), ("overview", draw_overview)):
            start = time.perf_counter()
            draw(result.folder, result.document, context)
            runs[key].append(time.perf_counter() - start)
    return runs


def report(name: str, runs: dict[str, list]) -> float:
    analysis = statistics.median(seconds for seconds, _ in runs["analysis"])
    full = statistics.median(seconds for seconds, _ in runs["reports"])
    steps = list(runs["reports"][0][1])
    print(f"\n{name}: medians of {len(runs['analysis'])} alternating rounds")
    print(f"{'step':<18}{'analysis only':>15}{'with reports':>15}")
    for step in steps:
        only = [timings.get(step, 0.0) for _, timings in runs["analysis"]]
        both = [timings.get(step, 0.0) for _, timings in runs["reports"]]
        print(f"{step:<18}{statistics.median(only):>14.2f}s{statistics.median(both):>14.2f}s")
    print(f"{'total':<18}{analysis:>14.2f}s{full:>14.2f}s   ratio {full / analysis:.2f}x (goal <= 3)")
    print(f"of which the map {statistics.median(runs['map']):.2f}s, the overview {statistics.median(runs['overview']):.2f}s")
    return full / analysis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--events", default="fixture,padang", help="comma-separated: fixture, padang")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = init_demo_analysis_data(args.workdir / "analysis-data").root  # places, and land.geojson
    grids = {"fixture": FIXTURE, "padang": write_scenario(args.workdir / "process-grids", **PADANG)}
    ratios = {}
    for name in args.events.split(","):
        folder = prepare(name, grids[name], args.workdir, data)
        ratios[name] = report(name, rounds(grids[name], folder, args.workdir / f"process-out-{name}", args.repeat))
    print("\nratios: " + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()))


if __name__ == "__main__":
    main()
