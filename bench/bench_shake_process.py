"""Whole `shake process` timing: analysis only, then with both report locales.

Uses the same cached 3 arc-second population raster as bench_earthquake.py
(run that first, or `make bench`), copied into an analysis-data folder with
the demo places, and the real 161x161 BMKG grid.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

from realtime.demo_data import init_demo_analysis_data
from realtime.pipeline.shake import process_shake

REPO = Path(__file__).resolve().parents[1]
GRID = REPO.parent / "shared" / "fixtures" / "earthquake" / "shakemaps" / "20180220163351" / "grid.xml"


def timed(repeat: int, **kwargs) -> tuple[float, dict]:
    seconds, steps = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        result = process_shake(GRID, now=datetime.now(timezone.utc), **kwargs)
        seconds.append(time.perf_counter() - start)
        steps.append(result.timings)
    median_steps = {k: statistics.median(s[k] for s in steps) for k in steps[0]}
    return statistics.median(seconds), median_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    rasters = sorted(args.workdir.glob("population_122.420_3.340_161x161.tif"))
    if not rasters:
        raise SystemExit("run bench/bench_earthquake.py first: it generates the 3 arc-second population raster")
    data = args.workdir / "process-analysis-data"
    init_demo_analysis_data(data)
    shutil.copyfile(rasters[0], data / "exposure" / "population.tif")
    out = args.workdir / "process-out"
    common = {"analysis_data": data, "output_root": out}
    process_shake(GRID, now=datetime.now(timezone.utc), locales=["en", "id"], **common)  # warm-up
    analysis, analysis_steps = timed(args.repeat, locales=[], **common)
    full, full_steps = timed(args.repeat, locales=["en", "id"], **common)
    print(f"{'step':<18}{'analysis only':>15}{'with reports':>15}")
    for step in full_steps:
        print(f"{step:<18}{analysis_steps.get(step, 0):>14.2f}s{full_steps[step]:>14.2f}s")
    print(f"{'total':<18}{analysis:>14.2f}s{full:>14.2f}s   ratio {full / analysis:.1f}x")


if __name__ == "__main__":
    main()
