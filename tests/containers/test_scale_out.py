"""Scale-out: the dev stack with one worker, then `--scale worker=2`, each taking a burst of 20 scenario grids
over SFTP. Every grid is processed and pushed exactly once; the throughput ratio is printed for bench/README.md."""

from __future__ import annotations

import time

import pytest

from compose_stack import Uploader, authorise_key, dev_stack, new_key, scenario_grids
from servers import wait_until

SERVICES = ("redis", "web", "beat", "worker", "monitor", "sftp", "sync-shakemaps")
BURST = 20


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with dev_stack(tmp_path_factory.mktemp("scale-stack"), "rtscale", SERVICES) as project:
        project.wait_healthy(expected=len(SERVICES))
        key = new_key(tmp_path_factory.mktemp("bmkg-key"))
        authorise_key(project, key)
        uploader = Uploader(project, key)
        yield project, uploader
        uploader.close()


def burst(project, uploader, grids) -> float:
    """Upload every grid, wait until all are pushed; the seconds from the first upload to the last push."""
    start = time.monotonic()
    for grid in grids:
        uploader.put(grid, grid.parent.name)
    ids = {grid.parent.name for grid in grids}
    wait_until(lambda: ids <= {r["event_id"] for r in project.rows_in("2024%", "pushed")}, 900, interval=2,
               what=f"{len(ids)} grids pushed")
    return time.monotonic() - start


def test_two_workers_process_a_burst_each_grid_once(stack, tmp_path, request):
    project, uploader = stack
    one = burst(project, uploader, scenario_grids(tmp_path / "one", range(100, 100 + BURST)))
    project.up("--scale", "worker=2")
    project.wait_healthy(expected=len(SERVICES) + 1)
    assert len(project.containers("worker")) == 2
    two = burst(project, uploader, scenario_grids(tmp_path / "two", range(200, 200 + BURST)))
    rows = project.ledger("2024%")
    assert len(rows) == 2 * BURST and {r["state"] for r in rows} == {"pushed"}, rows
    assert {r["attempts"] for r in rows} == {1}
    assert project.api_get("earthquake/?page_size=100").json()["count"] == 2 * BURST
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    reporter.write_line(f"scale-out: {BURST} grids, one worker {one:.1f} s, two workers {two:.1f} s, "
                        f"throughput ratio {one / two:.2f}")
