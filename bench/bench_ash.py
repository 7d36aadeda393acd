"""Time the ash exposure on the real Merapi forecast against the read-and-sum floor of the same window.

The forecast (150x150 cells of 0.0123 deg, 1.84 x 1.84 deg) lies over a synthetic 3 arc-second population
raster (bench_earthquake.make_population: tiled, DEFLATE, towns, sea) covering it plus 0.05 deg. Exposure
reads the window of cells whose centres lie inside the forecast, as the floor does; the ratio of the two
medians, taken round-robin in one run, is the figure. No timing is asserted anywhere. Usage:

    python bench/bench_ash.py [--repeat N] [--workdir DIR]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import rasterio

from bench_earthquake import floor_sum, make_population, measure
from realtime.ash.exposure import ash_exposure
from realtime.ash.hazard import read_ash_hazard
from realtime.earthquake.grid import GridSpec

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared/fixtures/ash/201702211204+0000_Merapi-hazard.tif"
OURS2, OURS1 = "ash_exposure threads=2", "ash_exposure threads=1"
FLOOR1, FLOOR2 = "floor: read + numpy sum, 1 thread", "floor: read + numpy sum, 2 threads"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per step, after one warm-up")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    hazard = read_ash_hazard(FIXTURE)
    west, south, east, north = hazard.bounds()
    footprint = GridSpec(west, south, east, north, 2, 2)  # the rectangle is all make_population and the floor use
    population = args.workdir / f"population_ash_{west:.3f}_{north:.3f}.tif"
    if not population.exists():
        print(f"generating {population} ...", flush=True)
        make_population(population, footprint)

    steps: dict[str, Callable[[], object]] = {
        "read_ash_hazard (Merapi fixture)": lambda: read_ash_hazard(FIXTURE),
        OURS2: lambda: ash_exposure(hazard, population, threads=2),
        OURS1: lambda: ash_exposure(hazard, population, threads=1),
        FLOOR1: lambda: floor_sum(footprint, population, 1),
        FLOOR2: lambda: floor_sum(footprint, population, 2),
    }
    times, results = measure(steps, args.repeat)
    ours, floor = results[OURS2], results[FLOOR1]

    with rasterio.open(population) as dataset:
        shape = f"{dataset.width}x{dataset.height}"
    print(f"hazard: {FIXTURE.name}, {hazard.shape[1]}x{hazard.shape[0]} cells, max {hazard.max_thickness_cm:.1f} cm")
    print(f"population: {shape} cells of 3 arc-seconds, window read {ours.cells:,} cells")
    print(f"median of {args.repeat} runs after one warm-up\n")
    print(f"{'step':<40}{'median ms':>11}{'min ms':>10}")
    for name, (median, fastest) in times.items():
        print(f"{name:<40}{median * 1000:>11.1f}{fastest * 1000:>10.1f}")
    print(f"\n{'class':<12}{'people':>14}")
    for key, people in ours.people.items():
        print(f"{key:<12}{people:>14,.0f}")
    print(f"{'exposed':<12}{ours.total:>14,.0f}   displaced {ours.displaced:,.0f}")
    print(f"floor sum of the window: {floor:,.0f} (people outside every class: {floor - ours.total:,.0f})\n")
    t = {name: median for name, (median, _) in times.items()}
    for mine, base in ((OURS2, FLOOR1), (OURS1, FLOOR1), (OURS2, FLOOR2)):
        print(f"{mine} / {base}: {t[mine] / t[base]:.2f}")


if __name__ == "__main__":
    main()
