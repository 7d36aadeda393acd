"""End-to-end latency: from the rename of a real 161x161 grid.xml to its reports in the web app's API.

Starts the real stack (redis-server, the web app under gunicorn, `realtime worker`,
`realtime monitor` with inotify) and compares the median of N runs with the time
`shake process` alone takes for the same grid in this process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from stack import Stack, wait_until  # noqa: E402

from realtime.demo_data import init_demo_analysis_data  # noqa: E402
from realtime.pipeline.shake import process_shake  # noqa: E402

GRID = REPO.parent / "shared" / "fixtures" / "earthquake" / "shakemaps" / "20180220163351" / "grid.xml"


def variant(n: int, hour: int = 16) -> tuple[str, bytes]:
    """The real grid under a fresh event id, so every run is a new event."""
    shake_id = f"20180220{hour:02d}{n:02d}00"
    return shake_id, GRID.read_bytes().replace(b"20180220163351", shake_id.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", default="3", help="REALTIME_SETTLE_SECONDS for the monitor")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="realtime-bench-"))
    data = init_demo_analysis_data(root / "analysis-data").root
    alone = []
    for n in range(args.runs):
        shake_id, raw = variant(n, hour=17)
        source = root / "alone" / shake_id / "grid.xml"
        source.parent.mkdir(parents=True)
        source.write_bytes(raw)
        start = time.perf_counter()
        process_shake(source, data, root / "alone-out", now=datetime.now(timezone.utc), locales=["en", "id"])
        alone.append(time.perf_counter() - start)

    stack = Stack(root / "stack", data)
    stack.start_redis()
    stack.start_web()
    env_settle = stack.env
    stack.env = lambda: {**env_settle(), "REALTIME_SETTLE_SECONDS": args.settle}  # type: ignore[method-assign]
    stack.start_worker()
    stack._spawn("monitor", [sys.executable, "-m", "realtime", "monitor", "--inotify"], stack.env())
    wait_until(lambda: stack.health("monitor") == 200, 60, what="monitor health")
    latencies = []
    try:
        for n in range(args.runs + 1):  # the first run warms the worker up and is not counted
            shake_id, raw = variant(n)
            temp = stack.shakemaps / f".{shake_id}.tmp"
            temp.write_bytes(raw)
            (stack.shakemaps / shake_id).mkdir()
            start = time.perf_counter()
            temp.rename(stack.shakemaps / shake_id / "grid.xml")
            wait_until(lambda: len(stack.api_get(f"earthquake/{shake_id}/initial/").json().get("reports", [])) == 2
                       if stack.api_get(f"earthquake/{shake_id}/initial/").status_code == 200 else False,
                       180, interval=0.05, what=f"{shake_id} reports")
            if n:
                latencies.append(time.perf_counter() - start)
    finally:
        stack.stop_all()
    end_to_end, process = statistics.median(latencies), statistics.median(alone)
    print(f"shake process alone (both locales), median of {len(alone)}: {process:.2f} s")
    print(f"rename -> reports in the web app API, median of {len(latencies)}: {end_to_end:.2f} s "
          f"(runs: {', '.join(f'{x:.2f}' for x in latencies)})")
    print(f"service overhead: {end_to_end - process:.2f} s (monitor settle {args.settle} s, inotify)")


if __name__ == "__main__":
    main()
