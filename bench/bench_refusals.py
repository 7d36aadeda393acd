"""How fast every hostile grid and flood snapshot of the test corpora is refused.

For each case, two figures:
- in-process: the processor's own call (`process_shake` / `parse_snapshot`) until it raises,
  the median of 3 runs. This is what a worker spends on a refusal.
- CLI: the whole `realtime shake|flood process` command, a fresh process that imports the
  stack and exits 2, the median of 3 runs. This is what a duty officer waits for.

Goal: every refusal under 1 s. Usage: `.venv/bin/python bench/bench_refusals.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from hostile_floods import CASES as FLOOD_CASES, VALID_FLOOD_ID  # noqa: E402
from hostile_grids import write_cases as write_grid_cases  # noqa: E402

from realtime.demo_data import init_demo_analysis_data  # noqa: E402
from realtime.ids import folder_event_id  # noqa: E402
from realtime.flood.snapshot import parse_snapshot  # noqa: E402
from realtime.pipeline.shake import process_shake  # noqa: E402


def timed(call, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            call()
        except Exception:  # every case is meant to raise: that is what is timed
            pass
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def cli(args: list[str], env: dict[str, str]) -> int:
    return subprocess.run([sys.executable, "-m", "realtime", *args], env=env, cwd=REPO,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120).returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    work = Path(tempfile.mkdtemp(prefix="bench-refusals-"))
    data = init_demo_analysis_data(work / "analysis-data").root
    out = work / "out"
    env = {**os.environ, "ANALYSIS_DATA_DIR": str(data), "INASAFE_LOCALE": "en", "FLOODMAPS_DIR": str(work / "floodmaps"),
           "REALTIME_FLOOD_EXTRACT_DIR": str(work / "flood-out")}
    now = datetime.now(timezone.utc)
    rows = []
    for case in write_grid_cases(work / "grids"):
        inside = timed(lambda: process_shake(case.path, data, out, now=now, expected_id=folder_event_id(case.path)), runs)
        whole = timed(lambda: cli(["shake", "process", str(case.path), "--output", str(out)], env), runs)
        rows.append(("grid", case.name, inside, whole))
    (work / "floods").mkdir()
    for case in FLOOD_CASES:
        path = case.write(work / "floods")
        inside = timed(lambda: parse_snapshot(path.read_bytes(), name=str(path)), runs)
        whole = timed(lambda: cli(["flood", "process", "--source", "file", "--file", str(path),
                                   "--flood-id", VALID_FLOOD_ID], env), runs)
        rows.append(("flood", case.name, inside, whole))
    print(f"{len(rows)} cases, median of {runs} runs each, {os.uname().nodename}, {now:%Y-%m-%d}\n")
    print("| kind | case | in-process (ms) | CLI (ms) |\n|---|---|---:|---:|")
    for kind, name, inside, whole in sorted(rows, key=lambda r: -r[3]):
        print(f"| {kind} | {name} | {inside * 1000:.1f} | {whole * 1000:.0f} |")
    slowest_inside = max(rows, key=lambda r: r[2])
    slowest_cli = max(rows, key=lambda r: r[3])
    print(f"\nslowest in-process: {slowest_inside[1]} {slowest_inside[2] * 1000:.1f} ms; "
          f"slowest CLI: {slowest_cli[1]} {slowest_cli[3] * 1000:.0f} ms; "
          f"all under 1 s: {all(r[3] < 1.0 for r in rows)}")


if __name__ == "__main__":
    main()
