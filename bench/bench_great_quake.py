"""Great earthquake: exposure of an M9.0 scenario over a 10x10 degree, 3 arc-second population raster.

A megathrust event off west Sumatra shakes a footprint 36 times the usual 4x4
degrees: the exposure step then reads 12000x12000 = 144 M population cells.
This sets its time, in the same run, against the floor (read the same window
and sum it with numpy, same threads), and measures the peak RSS of a fresh
process that runs only the exposure, the floor, or a whole analysis-only
`shake process`. Usage:

    python bench/bench_great_quake.py [--repeat N] [--workdir DIR] [--skip-process] [--before REV]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# off west Sumatra, near the Mentawai islands (the 1797 / 1833 megathrust segment)
MAGNITUDE, DEPTH_KM, LAT, LON, HALF_WIDTH = 9.0, 25.0, -1.0, 99.0, 5.0
ORIGIN = datetime(2026, 11, 28, 3, 0, 0, tzinfo=timezone.utc)
SEED = 20261128
TOWNS = 150  # 25 per 4x4 degrees in bench_earthquake.py, scaled to the 6.25x larger area
BLOCK = 256  # rows per generated block = the raster's tile height


def scenario(workdir: Path) -> Path:
    from realtime.earthquake.scenario import write_scenario

    folder = workdir / "great-quake"
    grids = sorted(folder.glob("*/grid.xml"))
    if grids:
        return grids[0]
    return write_scenario(folder, MAGNITUDE, DEPTH_KM, LAT, LON, ORIGIN, "Mentawai, west Sumatra (bench)",
                          spacing=0.025, half_width=HALF_WIDTH)


def build_population(path: Path, spec, cell: float, margin: int, shift: float) -> None:
    """Gamma rural noise, a 'sea' west of a wavy coast and in smooth random patches, and Gaussian towns.

    Made 256 rows at a time (one tile row) with one seeded generator, so memory stays small.
    """
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window
    from scipy.ndimage import zoom

    rng = np.random.default_rng(SEED)
    width = round((spec.lon_max - spec.lon_min) / cell) + 2 * margin
    height = round((spec.lat_max - spec.lat_min) / cell) + 2 * margin
    west, north = spec.lon_min - (margin + shift) * cell, spec.lat_max + (margin + shift) * cell
    # land score on a 1/60 degree lattice (20 cells), repeated per block: noise plus an eastward rise
    coarse = rng.standard_normal((height // 240 + 2, width // 240 + 2)).astype(np.float32)
    lattice = (-(-height // 20), -(-width // 20))
    land = zoom(coarse, (lattice[0] / coarse.shape[0], lattice[1] / coarse.shape[1]), order=3)[: lattice[0], : lattice[1]]
    lons = west + (np.arange(lattice[1]) + 0.5) * 20 * cell
    land = land + 0.6 * (lons - LON)[None, :].astype(np.float32)  # the Indian Ocean lies to the west
    towns = []
    for _ in range(TOWNS):
        people = float(rng.lognormal(11, 1.2))
        sigma = max(8.0, 0.25 * math.sqrt(people / 1000) / (111.32 * cell))
        row, col = rng.uniform(0, height), rng.uniform(0, width)
        if land[min(int(row) // 20, lattice[0] - 1), min(int(col) // 20, lattice[1] - 1)] < -0.4:
            continue  # no towns at sea
        reach = int(3 * sigma)
        cols = np.arange(max(0, int(col) - reach), min(width, int(col) + reach + 1))
        rows_all = np.arange(max(0, int(row) - reach), min(height, int(row) + reach + 1))
        kcol = np.exp(-0.5 * ((cols + 0.5 - col) / sigma) ** 2)
        norm = np.exp(-0.5 * ((rows_all + 0.5 - row) / sigma) ** 2).sum() * kcol.sum()
        towns.append((row, sigma, reach, cols, people * kcol / norm))
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32", crs="EPSG:4326",
                   transform=from_origin(west, north, cell, cell), tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate", predictor=3, num_threads="ALL_CPUS", bigtiff="IF_SAFER")
    temp = path.with_suffix(".tmp.tif")
    with rasterio.open(temp, "w", **profile) as dataset:
        for top in range(0, height, BLOCK):
            rows = np.arange(top, min(height, top + BLOCK))
            block = rng.gamma(0.3, 2.0, size=(rows.size, width)).astype(np.float32)
            sea = np.repeat(np.repeat(land[rows[0] // 20 : rows[-1] // 20 + 1], 20, axis=0), 20, axis=1)
            block[sea[rows - (rows[0] // 20) * 20, :width] < -0.4] = 0
            for row, sigma, reach, cols, kcol in towns:
                inside = rows[(rows >= int(row) - reach) & (rows <= int(row) + reach)]
                if inside.size:
                    krow = np.exp(-0.5 * ((inside + 0.5 - row) / sigma) ** 2)
                    block[inside[0] - top : inside[-1] - top + 1, cols[0] : cols[-1] + 1] += np.outer(krow, kcol).astype(np.float32)
            dataset.write(block, 1, window=Window(0, top, width, rows.size))
    temp.replace(path)


def load_spec(workdir: Path):
    """The grid's spec and MMI, saved by the parent so a child does not parse grid.xml."""
    from realtime.earthquake.grid import GridSpec

    saved = np.load(workdir / "great-quake-mmi.npz")
    return GridSpec(*saved["footprint"].tolist(), *saved["shape"][::-1].tolist()), saved["mmi"]


def child(kind: str, workdir: Path, population: Path, threads: int, grid: Path, before: str | None) -> None:
    """Run one thing in this fresh process and print its result as JSON: the parent reads our peak RSS."""
    start = time.perf_counter()
    if kind == "import":
        from realtime.earthquake.exposure import population_per_mmi_class  # noqa: F401
        result: dict = {}
    elif kind in ("exposure", "before"):
        if kind == "before":
            population_per_mmi_class = exposure_at(before, workdir).population_per_mmi_class
        else:
            from realtime.earthquake.exposure import population_per_mmi_class

        spec, mmi = load_spec(workdir)
        start = time.perf_counter()
        exposure = population_per_mmi_class(spec, mmi, population, threads=threads)
        result = {"by_class": exposure.by_class, "total": exposure.total, "cells": exposure.cells}
    elif kind == "floor":
        from bench_earthquake import floor_sum

        spec, _ = load_spec(workdir)
        start = time.perf_counter()
        result = {"total": floor_sum(spec, population, threads)}
    else:  # a whole `shake process`, analysis only (no report locales)
        from realtime.pipeline.shake import process_shake

        processed = process_shake(grid, workdir / "great-quake-data", workdir / "great-quake-out",
                                  now=datetime.now(timezone.utc), locales=[])
        result = {"timings": processed.timings}
    result["seconds"] = time.perf_counter() - start
    result["vmhwm_mb"] = peak_rss_mb()
    print(json.dumps(result))


def exposure_at(rev: str, workdir: Path):
    """realtime/earthquake/exposure.py as of a git revision, imported under another name."""
    import importlib.util

    source = subprocess.run(["git", "show", f"{rev}:realtime/earthquake/exposure.py"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout
    path = workdir / f"exposure_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def peak_rss_mb() -> float:
    """This address space's high-water mark (VmHWM). getrusage would also count the parent's, inherited at exec."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def in_child(kind: str, args: argparse.Namespace, population: Path, grid: Path, threads: int = 2) -> tuple[dict, float]:
    """(the child's JSON, its peak RSS in MB) from /usr/bin/time -v's "Maximum resident set size".

    /usr/bin/time is a small process that forks the child, so its wait4 rusage is the child's own. Asking wait4
    here instead would report this (big) process's peak: a child spawned by vfork inherits it at exec.
    """
    command = [sys.executable, __file__, "--child", kind, "--workdir", str(args.workdir), "--threads", str(threads),
               "--population", str(population), "--grid", str(grid), *(["--before", args.before] if args.before else [])]
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"child {kind} failed with exit code {done.returncode}: {done.stderr.strip()[-500:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rss = re.search(r"Maximum resident set size \(kbytes\): ([0-9]+)", done.stderr)
    return result, int(rss.group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds after one warm-up")
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--skip-process", action="store_true", help="do not run the whole `shake process`")
    parser.add_argument("--before", metavar="REV", help="also time exposure.py as of this git revision (before/after)")
    parser.add_argument("--child", choices=["import", "exposure", "before", "floor", "process"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--population", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--grid", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.workdir, args.population, args.threads, args.grid, args.before)

    import rasterio

    from bench_earthquake import CELL, MARGIN_CELLS, SHIFT, centre_window, floor_sum, measure
    from realtime.demo_data import init_demo_analysis_data
    from realtime.earthquake.exposure import population_per_mmi_class
    from realtime.earthquake.grid import read_shake_grid

    args.workdir.mkdir(parents=True, exist_ok=True)
    grid_path = scenario(args.workdir)
    start = time.perf_counter()
    grid = read_shake_grid(grid_path)
    parse = time.perf_counter() - start
    spec = grid.spec
    np.savez(args.workdir / "great-quake-mmi.npz", mmi=grid.mmi, footprint=np.array(spec.footprint),
             shape=np.array(spec.shape))
    population = args.workdir / f"population_great_{spec.lon_min:.3f}_{spec.lat_max:.3f}_{spec.nlon}x{spec.nlat}.tif"
    if not population.exists():
        print(f"generating {population} ...", flush=True)
        start = time.perf_counter()
        build_population(population, spec, CELL, MARGIN_CELLS, SHIFT)
        print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)
    with rasterio.open(population) as dataset:
        window = centre_window(spec, dataset)
        shape = f"{dataset.width}x{dataset.height}"
    size_mb = population.stat().st_size / 2**20
    print(f"grid: {grid_path.parent.name}, M{grid.event.magnitude} at {grid.event.latitude}, {grid.event.longitude}, "
          f"{spec.nlon}x{spec.nlat} nodes, MMI {grid.mmi.min():.2f}-{grid.mmi.max():.2f}, parsed in {parse:.2f} s")
    print(f"population: {shape} cells, {size_mb:.0f} MB on disk; window {window.width}x{window.height} "
          f"= {window.width * window.height / 1e6:.1f} M cells")

    names = {"ours2": "exposure, ours threads=2", "floor2": "(a) floor read + sum, 2 threads",
             "ours1": "exposure, ours threads=1", "floor1": "(a) floor read + sum, 1 thread"}
    steps = {
        names["ours2"]: lambda: population_per_mmi_class(spec, grid.mmi, population, threads=2),
        names["floor2"]: lambda: floor_sum(spec, population, 2),
        names["ours1"]: lambda: population_per_mmi_class(spec, grid.mmi, population, threads=1),
        names["floor1"]: lambda: floor_sum(spec, population, 1),
    }
    if args.before:
        old = exposure_at(args.before, args.workdir)
        names["before2"] = f"exposure at {args.before} threads=2"
        steps[names["before2"]] = lambda: old.population_per_mmi_class(spec, grid.mmi, population, threads=2)
    cpu: dict[str, list[float]] = {name: [] for name in steps}

    def with_cpu(name: str, fn):
        def run():  # CPU seconds of this process (all threads): other jobs' load hardly moves them
            start = time.process_time()
            result = fn()
            cpu[name].append(time.process_time() - start)
            return result
        return run

    times, results = measure({name: with_cpu(name, fn) for name, fn in steps.items()}, args.repeat)
    cpu_median = {name: statistics.median(samples[1:]) for name, samples in cpu.items()}  # [0]: the warm-up
    ours = results[names["ours2"]]
    print(f"\nmedian and min of {args.repeat} round-robin rounds after one warm-up round")
    print(f"{'step':<36}{'median s':>10}{'min s':>8}{'CPU s':>8}")
    for name, (median, fastest) in times.items():
        print(f"{name:<36}{median:>10.2f}{fastest:>8.2f}{cpu_median[name]:>8.2f}")
    t = {key: times[name][0] for key, name in names.items()}
    c = {key: cpu_median[name] for key, name in names.items()}
    print(f"ours / floor, 2 threads: {t['ours2'] / t['floor2']:.2f}x   1 thread: {t['ours1'] / t['floor1']:.2f}x   "
          f"(CPU seconds: {c['ours2'] / c['floor2']:.2f}x and {c['ours1'] / c['floor1']:.2f}x)")
    if args.before:
        same = results[names["before2"]].by_class == ours.by_class
        print(f"ours / {args.before}, 2 threads: {t['ours2'] / t['before2']:.2f}x (CPU {c['ours2'] / c['before2']:.2f}x); "
              f"by_class {'bit-identical' if same else 'DIFFERENT'}")
    print(f"people: total {ours.total:,.1f}, floor {results[names['floor1']]:,.1f}, cells {ours.cells:,}")
    print("by class: " + ", ".join(f"{k} {v:,.1f}" for k, v in ours.by_class.items() if v))
    print("by class (repr): " + json.dumps(ours.by_class))

    print("\npeak RSS of a fresh process (/usr/bin/time -v; the child's own VmHWM in brackets)")
    kinds = [("import", 2), ("exposure", 2), ("exposure", 1), ("floor", 2)] + ([("before", 2)] if args.before else [])
    for kind, threads in kinds:
        result, rss = in_child(kind, args, population, grid_path, threads)
        extra = f"{result['seconds']:.2f} s" if kind != "import" else "imports only"
        if kind == "before":
            extra += f", exposure.py at {args.before}"
        if kind == "exposure":
            same = result["by_class"] == results[names[f"ours{threads}"]].by_class
            extra += f", by_class {'identical to' if same else 'DIFFERENT from'} the in-process run"
        print(f"  {kind:<9} threads={threads}: {rss:>7.0f} MB [{result['vmhwm_mb']:.0f}]  ({extra})")
    if not args.skip_process:
        data = init_demo_analysis_data(args.workdir / "great-quake-data")
        target = data.root / "exposure" / "population.tif"
        if not (target.exists() and target.samefile(population)):
            target.unlink(missing_ok=True)
            os.link(population, target)  # a hard link: no 400 MB copy
        rounds = [in_child("process", args, population, grid_path) for _ in range(3)]
        total = statistics.median(r["seconds"] for r, _ in rounds)
        steps_median = {k: statistics.median(r["timings"][k] for r, _ in rounds) for k in rounds[0][0]["timings"]}
        print(f"  shake process, analysis only (median of 3 fresh processes): {total:.2f} s, "
              f"peak RSS {statistics.median(rss for _, rss in rounds):.0f} MB (max {max(rss for _, rss in rounds):.0f})")
        print("    " + ", ".join(f"{k} {v:.2f} s" for k, v in steps_median.items()))


if __name__ == "__main__":
    main()
