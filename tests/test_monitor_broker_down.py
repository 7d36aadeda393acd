"""`realtime monitor` while redis is down: its health says why, a grid that arrives waits, and goes once redis is up.

Real processes: the monitor and a worker start with the broker URL pointing at a port nobody listens on; then
a real redis-server starts on that port.
"""

from __future__ import annotations

import shutil
import sys

import pytest
import requests

from conftest import GRID_INITIAL
from servers import free_port
from stack import Stack, wait_until

pytestmark = pytest.mark.slow
SHAKE_ID = "20180220163351"


def health(stack: Stack) -> tuple[int, dict] | None:
    """The monitor's /healthz (status, body), or None while it does not answer."""
    try:
        response = requests.get(f"http://127.0.0.1:{stack.ports['monitor']}/healthz", timeout=10)
    except requests.RequestException:
        return None
    return response.status_code, response.json()


def test_monitor_with_the_broker_down_says_so_keeps_the_grid_and_queues_it_when_redis_is_up(fixtures, jakarta_data,
                                                                                             tmp_path):
    stack = Stack(tmp_path, jakarta_data)
    stack.redis_port = free_port()  # redis comes here later: nobody listens yet
    stack.redis_url = f"redis://127.0.0.1:{stack.redis_port}/0"
    env = {**stack.env(), "INASAFE_LOCALE": "en", "INASAFE_REALTIME_REST_URL": ""}
    try:
        stack._spawn("monitor", [sys.executable, "-m", "realtime", "monitor", "--polling"], env)
        status, body = wait_until(lambda: health(stack), 60, what="monitor health answering")
        assert status == 503 and body["healthy"] is False and body["broker"] is False, body
        assert "Connection refused" in body["broker_error"] or "111" in body["broker_error"], body

        grid = stack.shakemaps / SHAKE_ID / "grid.xml"
        grid.parent.mkdir(parents=True)
        shutil.copyfile(GRID_INITIAL, grid)
        log = stack.root / "monitor.log"
        wait_until(lambda: f"could not queue {SHAKE_ID} yet" in log.read_text(), 60, what="a send that failed")
        assert [row["state"] for row in stack.ledger_rows(SHAKE_ID)] == ["seen"]  # known, not queued, not lost
        assert "must be restarted" not in log.read_text()  # a send never waits on the result store
        assert wait_until(lambda: health(stack), 60, what="monitor health answering")[0] == 503

        stack.start_redis()  # on the reserved port
        wait_until(lambda: [r["state"] for r in stack.ledger_rows(SHAKE_ID)] == ["queued"], 60, what="queued")
        wait_until(lambda: (health(stack) or (None,))[0] == 200, 60, what="monitor healthy")
        stack._spawn("worker", [sys.executable, "-m", "realtime", "worker", "--loglevel", "INFO"], env)
        wait_until(lambda: [r["state"] for r in stack.ledger_rows(SHAKE_ID)] == ["done"], 120, what="processed")
        assert (stack.root / "shakemaps-extracted" / SHAKE_ID / "impact.json").is_file()
    finally:
        stack.stop_all()
