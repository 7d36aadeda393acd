"""Aftershock burst: 30 ShakeMaps land within 10 s; time until all 30 are pushed, with 1 and with 2 workers.

Starts the real stack from tests/stack.py (redis-server, the web app under
gunicorn, `realtime monitor` on inotify, `realtime worker` processes of
concurrency 1) with production timings, renames 30 scenario grids into
SHAKEMAPS_DIR at a steady pace, and polls the ledger until every event has its
`pushed` row. Rounds alternate 1 and 2 workers, so both see the same machine
load; every round checks that each event was processed and pushed exactly once
(ledger) and is in the web app once with its English and Indonesian reports.
Usage:

    python bench/bench_burst.py [--rounds N] [--events 30] [--spread 10]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from stack import Stack, free_port, wait_until  # noqa: E402

from realtime.demo_data import init_demo_analysis_data  # noqa: E402
from realtime.earthquake.scenario import write_scenario  # noqa: E402
from realtime.runtime.ledger import ledger_at  # noqa: E402

# Stack.env() has short test timings; a burst is measured with the production defaults (realtime/settings.py).
PRODUCTION = {
    "REALTIME_SETTLE_SECONDS": "3",
    "REALTIME_RECONCILE_SECONDS": "300",
    "REALTIME_MONITOR_POLL_INTERVAL": "2",
    "REALTIME_VISIBILITY_TIMEOUT": "0",
    "REALTIME_PUSH_RETRY_MAX": "600",
    "INASAFE_LOCALE": "en,id",
}
MAINSHOCK = (-1.0, 99.0)  # the M9.0 of bench_great_quake.py, off west Sumatra
FIRST_ORIGIN = datetime(2026, 11, 28, 3, 0, 0, tzinfo=timezone.utc)
SEED = 20261128


class BurstStack(Stack):
    """The test stack with production timings, an inotify monitor and a second worker on its own health port."""

    def env(self) -> dict[str, str]:
        return {**super().env(), **PRODUCTION}

    def start_monitor(self) -> None:
        self._spawn("monitor", [sys.executable, "-m", "realtime", "monitor"], self.env())
        wait_until(lambda: self.health("monitor") == 200, 60, what="monitor health")

    def start_second_worker(self) -> None:
        self.ports.setdefault("worker2", free_port())
        env = {**self.env(), "REALTIME_WORKER_HEALTH_PORT": str(self.ports["worker2"])}
        self._spawn("worker2", [sys.executable, "-m", "realtime", "worker", "--loglevel", "INFO"], env)
        wait_until(lambda: self.health("worker2") == 200, 60, what="second worker health")

    def tasks_done(self, name: str) -> int:
        """Tasks a worker finished so far, from its log: shows how the burst was shared out."""
        log = self.root / f"{name}.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return len(re.findall(r"Task realtime\.tasks\.earthquake\.process_shake\[[^\]]+\] succeeded", text))


def cpu_seconds(stack: Stack) -> float:
    """CPU seconds used so far by the stack's processes and all their descendants (reaped ones included)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process just ended
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    wanted = {process.pid for process in stack.processes.values()}
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in wanted} - wanted
        grew, wanted = bool(more), wanted | more
    total = 0
    for pid in wanted:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def make_grids(folder: Path, count: int, first: int) -> list[Path]:
    """Aftershocks M5.0-7.0 within a degree of the mainshock, two minutes apart: distinct shake ids."""
    rng = random.Random(SEED + first)
    grids = []
    for n in range(first, first + count):
        lat, lon = MAINSHOCK[0] + rng.uniform(-1, 1), MAINSHOCK[1] + rng.uniform(-1, 1)
        origin = FIRST_ORIGIN + timedelta(minutes=2 * n)
        grids.append(write_scenario(folder, round(rng.uniform(5.0, 7.0), 1), rng.uniform(10, 40), lat, lon, origin,
                                    "Aftershock, Mentawai (bench)", half_width=1.0))
    return grids


def pushed(stack: Stack, ids: set[str]) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {event_id: [] for event_id in ids}
    for row in ledger_at(stack.root / "state").events(limit=100_000):
        if row["event_id"] in rows:
            rows[row["event_id"]].append(row)
    return rows


def all_pushed(stack: Stack, ids: set[str]) -> bool:
    return all(any(r["state"] == "pushed" for r in rows) for rows in pushed(stack, ids).values())


def drop(stack: Stack, grids: list[Path], spread: float) -> float:
    """Rename each grid into SHAKEMAPS_DIR/<id>/grid.xml at a steady pace; returns the first rename's time."""
    staged = []
    for grid in grids:
        temp = stack.shakemaps / f".{grid.parent.name}.partial"
        temp.write_bytes(grid.read_bytes())
        staged.append((temp, stack.shakemaps / grid.parent.name))
    interval = spread / len(grids)
    start = time.perf_counter()
    for n, (temp, folder) in enumerate(staged):
        time.sleep(max(0.0, start + n * interval - time.perf_counter()))
        folder.mkdir()
        temp.rename(folder / "grid.xml")
    return start


def check_once(stack: Stack, ids: set[str]) -> str:
    """Every event: one ledger row, pushed, attempts 1; in the web app once, with its en and id reports."""
    for event_id, rows in sorted(pushed(stack, ids).items()):
        if len(rows) != 1 or rows[0]["state"] != "pushed" or rows[0]["attempts"] != 1:
            raise SystemExit(f"{event_id}: ledger rows {[(r['state'], r['attempts']) for r in rows]}, expected one pushed, 1 attempt")
        if len(stack.api_get(f"earthquake/{event_id}/").json()["results"]) != 1:
            raise SystemExit(f"{event_id}: not exactly one event in the web app")

        def languages(event_id: str = event_id) -> list[str] | None:
            response = stack.api_get(f"earthquake/{event_id}/initial/")
            found = sorted(r["language"] for r in response.json().get("reports", [])) if response.ok else []
            return found if found == ["en", "id"] else None

        wait_until(languages, 30, what=f"{event_id} en and id reports in the web app")
    return f"{len(ids)} events, each 1 ledger row pushed at attempt 1, 1 web app event with en+id reports"


def burst(stack: Stack, grids: list[Path], spread: float, workers: list[str]) -> tuple[float, float, dict[str, int]]:
    """(seconds from the first drop until all are pushed, CPU seconds the stack used meanwhile, tasks per worker)"""
    ids = {grid.parent.name for grid in grids}
    before = {name: stack.tasks_done(name) for name in workers}
    cpu_before = cpu_seconds(stack)
    start = drop(stack, grids, spread)
    wait_until(lambda: all_pushed(stack, ids), 900, interval=0.1, what="all events pushed")
    seconds = time.perf_counter() - start
    cpu = cpu_seconds(stack) - cpu_before

    def shares() -> dict[str, int] | None:  # a task logs "succeeded" just after its push: wait for the last line
        done = {name: stack.tasks_done(name) - before[name] for name in workers}
        return done if sum(done.values()) >= len(ids) else None

    return seconds, cpu, wait_until(shares, 30, what="worker logs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per worker count, alternating 1 and 2")
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which the grids land")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="realtime-burst-"))
    data = init_demo_analysis_data(root / "analysis-data").root
    stack = BurstStack(root / "stack", data)
    times: dict[int, list[float]] = {1: [], 2: []}
    first = 0
    try:
        stack.start_redis()
        stack.start_web()
        stack.start_worker()
        stack.start_monitor()
        warm = make_grids(root / "incoming", 2, first)
        first += 2
        burst(stack, warm, 1.0, ["worker"])  # the first task pays the imports; not counted
        for n in range(args.rounds):
            for count in (1, 2):
                workers = ["worker"]
                if count == 2:
                    stack.start_second_worker()
                    warm = make_grids(root / "incoming", 2, first)
                    first += 2
                    burst(stack, warm, 0.0, ["worker", "worker2"])  # warms the new worker: not counted
                    workers.append("worker2")
                grids = make_grids(root / "incoming", args.events, first)
                first += args.events
                seconds, cpu, shares = burst(stack, grids, args.spread, workers)
                verdict = check_once(stack, {grid.parent.name for grid in grids})
                times[count].append(seconds)
                print(f"round {n + 1}, {count} worker(s): {seconds:.1f} s from the first drop to all pushed; "
                      f"stack CPU {cpu:.0f} s ({cpu / seconds:.2f} cores busy on average); "
                      f"tasks per worker {shares}; {verdict}", flush=True)
                if count == 2:
                    stack.stop("worker2")
    finally:
        stack.stop_all()
    one, two = statistics.median(times[1]), statistics.median(times[2])
    ratios = [a / b for a, b in zip(times[1], times[2])]
    print(f"\n{args.events} events dropped over {args.spread:.0f} s, median of {args.rounds} rounds each:")
    print(f"  1 worker:  {one:.1f} s  ({', '.join(f'{x:.1f}' for x in times[1])})")
    print(f"  2 workers: {two:.1f} s  ({', '.join(f'{x:.1f}' for x in times[2])})")
    print(f"  speed-up 1 -> 2 workers: {one / two:.2f}x (medians); per round {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"  per event: {one / args.events:.2f} s with 1 worker, {two / args.events:.2f} s with 2")
    print(f"logs and ledger in {root}")


if __name__ == "__main__":
    main()
