"""A worker and a monitor move to a new host: same NFS folders, same broker and web app, an empty state volume.

Real processes: redis, the web app under gunicorn (its access log shows every write), `realtime worker` and
`realtime monitor`. The old host dies (SIGKILL) while a push waits in its outbox for the web app to come back.
"""

from __future__ import annotations

import hashlib
import json
import signal

import pytest
import requests

from stack import Stack, wait_until
from test_e2e_services import event_with_reports, scenario, upload_by_rename
from test_state_rebuild import mark, writes
from realtime.runtime.ledger import ledger_at

pytestmark = pytest.mark.slow


class LoggedStack(Stack):
    """The stack, with gunicorn's access log in `access.log`."""

    @property
    def access_log(self):
        return self.root / "access.log"

    def web_env(self) -> dict[str, str]:
        return {**super().web_env(), "GUNICORN_CMD_ARGS": f"--access-logfile {self.access_log}"}


@pytest.fixture
def stack(fixtures, demo_data, tmp_path):
    stack = LoggedStack(tmp_path / "stack", demo_data)
    for start in (stack.start_redis, stack.start_web, stack.start_worker, stack.start_monitor):
        start()
    yield stack
    stack.stop_all()


def products(stack: Stack, event_id: str) -> bytes:
    return (stack.root / "shakemaps-extracted" / event_id / "impact.json").read_bytes()


def test_a_moved_worker_delivers_what_waited_once_and_processes_nothing_twice(stack):
    first = scenario(stack.root / "incoming", 30)
    upload_by_rename(first, stack.shakemaps / first.parent.name / "grid.xml")
    first = first.parent.name
    stack.wait_pushed(first)

    stack.stop("web")
    second = scenario(stack.root / "incoming", 31)
    upload_by_rename(second, stack.shakemaps / second.parent.name / "grid.xml")
    second = second.parent.name
    old = ledger_at(stack.root / "state")
    wait_until(lambda: [row for row in old.pushes("pending", second) if row["attempts"]], 180,
               what="the second event processed, its push failing")
    made = {event_id: hashlib.sha256(products(stack, event_id)).hexdigest() for event_id in (first, second)}

    stack.stop("worker", signal.SIGKILL)  # the host dies, and its state volume with it
    stack.stop("monitor", signal.SIGKILL)
    stack.start_web()
    start = mark(stack.access_log)
    new_host = {"REALTIME_STATE_DIR": str(stack.root / "state-new-host")}
    new = ledger_at(stack.root / "state-new-host")

    stack.start_monitor(**new_host)
    wait_until(lambda: {row["event_id"]: row["state"] for row in new.events()} == {first: "done", second: "done"},
               60, what="the new monitor's reconcile settling both grids from the shared volume")
    health = requests.get(f"http://127.0.0.1:{stack.ports['monitor']}/healthz", timeout=5).json()
    assert health["queued"] == 0  # nothing processed twice

    stack.start_worker(**new_host)
    wait_until(lambda: new.pushes("sent", second), 120, what="the waiting push delivered by the new worker")
    event = wait_until(lambda: event_with_reports(stack, second), 30, what="the second event with both reports")
    assert event["impact"] == json.loads(products(stack, second))
    assert len(writes(stack.access_log, "indicator/notify_shakemap_push/", start)) == 1  # delivered once
    assert writes(stack.access_log, first, start) == []  # the first is not pushed again
    rows = {row["event_id"]: (row["state"], row["attempts"]) for row in new.events()}
    assert rows == {first: ("pushed", 0), second: ("pushed", 0)}  # no attempt: nothing processed again
    assert {event_id: hashlib.sha256(products(stack, event_id)).hexdigest() for event_id in (first, second)} == made
    assert [row["state"] for row in new.pushes("sent", second)] == ["sent"]
    assert new.count_pushes("pending") == 0 and new.count_pushes("dead") == 0
