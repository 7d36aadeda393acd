"""Worker paths with real processes: one redis, one `realtime worker`, a PetaBencana replay server, per module.

A run killed every time until REALTIME_MAX_ATTEMPTS, a grid outside the watched folders, a corrupt population
raster, and the flood task's retry and refusals. Tasks are sent by name as the monitor, the web app and its
beat send them; what happened is read from the ledger, the task's answer, the worker's log and the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import FLOOD_SNAPSHOT, GRID_INITIAL
from stack import Stack, wait_until

pytestmark = pytest.mark.slow
SHAKE = "realtime.tasks.earthquake.process_shake"
FLOOD = "realtime.tasks.flood.process_flood"
SHAKE_ID = "20180220163351"
WORKER = {"REALTIME_MAX_ATTEMPTS": "2", "REALTIME_RETRY_DELAY": "1", "INASAFE_LOCALE": "en",
          "INASAFE_REALTIME_REST_URL": "", "REALTIME_PETABENCANA_TIMEOUT": "5"}


class PetaBencana:
    """PetaBencana's /floods on loopback: the recorded response, or what `answer` is set to (status, body);
    the next `failing` requests get `failure` instead (counted here, so no test races the worker's retry)."""

    def __init__(self, recorded: bytes):
        self.recorded = recorded
        self.answer: tuple[int, bytes] | None = None
        self.failing, self.failure = 0, (503, b"")
        self.served: list[int] = []  # the status of every answer, in order
        self.lock = threading.Lock()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                with replay.lock:
                    status, body = replay.answer or (200, replay.recorded)
                    if replay.failing > 0:
                        replay.failing -= 1
                        status, body = replay.failure
                    replay.served.append(status)
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 200 else "text/html")
                self.send_header("Retry-After", "0")  # the client's own quick retries do not wait
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/floods"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def recorded(fixtures) -> bytes:
    """The /floods answer as the API sends it: the recorded result inside its envelope."""
    return b'{"statusCode": 200, "result": ' + FLOOD_SNAPSHOT.read_bytes() + b"}"


@pytest.fixture(scope="module")
def petabencana(recorded):
    server = PetaBencana(recorded)
    yield server
    server.close()


@pytest.fixture(scope="module")
def analysis(jakarta_data, tmp_path_factory) -> Path:
    """A copy of the analysis data that the tests break and repair under the running worker."""
    root = tmp_path_factory.mktemp("worker-paths") / "analysis-data"
    shutil.copytree(jakarta_data, root)
    return root


@pytest.fixture(scope="module")
def stack(analysis, petabencana, tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("worker-paths-stack"), analysis)
    stack.start_redis()
    stack.start_worker(**WORKER, REALTIME_PETABENCANA_URL=petabencana.url)
    yield stack
    stack.stop_all()


# helpers ------------------------------------------------------------------------------------------------
def call(stack: Stack, name: str, **kwargs) -> dict:
    """Send a task by name and wait for its answer, as the web app's `requestflood` does."""
    from celery import Celery

    client = Celery(broker=stack.redis_url, backend=stack.redis_url)
    client.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")
    try:
        return client.send_task(name, kwargs=kwargs, queue="inasafe-realtime").get(timeout=120)
    finally:
        client.close()


def worker_log(stack: Stack) -> str:
    return (stack.root / "worker.log").read_text(errors="replace")


def version(stack: Stack, event_id: str, sha256: str, state: str, timeout: float = 120.0) -> dict:
    """The ledger row of one version once it is in `state` for good (a failure that will retry is not)."""
    def row():
        return next((r for r in stack.ledger_rows(event_id) if r["sha256"] == sha256 and r["state"] == state
                     and "will retry" not in (r["error"] or "")), None)
    return wait_until(row, timeout, what=f"{event_id} ({sha256[:8]}) {state}")


def put_version(stack: Stack, note: str) -> tuple[str, str]:
    """The Minahassa grid in its event folder, made a new version by an XML comment; (path, sha256)."""
    data = GRID_INITIAL.read_bytes() + f"<!-- {note} -->\n".encode()
    path = stack.shakemaps / SHAKE_ID / "grid.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path), hashlib.sha256(data).hexdigest()


def process_good_version(stack: Stack, note: str) -> dict:
    """A good grid after a failure: the same worker makes its products."""
    path, sha = put_version(stack, note)
    stack.send_task(SHAKE, event_id=SHAKE_ID, grid_file=path)
    row = version(stack, SHAKE_ID, sha, "done")
    impact = json.loads((stack.root / "shakemaps-extracted" / SHAKE_ID / "impact.json").read_text())
    assert impact["input"]["sha256"] == sha
    return row


def pool_children(pid: int) -> list[int]:
    """The worker's pool processes (children of any of its threads: the pool's supervisor replaces them)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def web_notices(stack: Stack) -> list[dict]:
    """The failure notices waiting for the web app on its queue (nobody consumes it here)."""
    import base64

    import redis

    messages = redis.Redis.from_url(stack.redis_url).lrange("inasafe-django", 0, -1)
    bodies = [json.loads(base64.b64decode(json.loads(m)["body"])) for m in messages]
    return [kwargs for _, kwargs, _ in bodies]


# 1. giving up after REALTIME_MAX_ATTEMPTS (first: the pool processes it kills take no other test's coverage data)
def test_a_run_killed_every_time_is_given_up_after_the_attempts_and_not_run_again(stack, analysis, fixtures):
    """The worker's process is killed mid-run (the OOM killer, a hung NFS read ended by hand) each time:
    the broker redelivers, each delivery is an attempt, and the one after the last attempt gives up."""
    basemap = analysis / "context" / "basemap.tif"
    os.mkfifo(basemap)  # no writer ever comes: drawing the map blocks until the process is killed
    worker = stack.processes["worker"].pid
    try:
        path, sha = put_version(stack, "killed every time")
        stack.send_task(SHAKE, event_id=SHAKE_ID, grid_file=path)
        for attempt in (1, 2):
            wait_until(lambda: any(r["sha256"] == sha and r["state"] == "processing" and r["attempts"] == attempt
                                   for r in stack.ledger_rows(SHAKE_ID)), 120, what=f"attempt {attempt} running")
            for child in pool_children(worker):
                os.kill(child, signal.SIGKILL)
        row = version(stack, SHAKE_ID, sha, "failed")
    finally:
        basemap.unlink()
    assert row["attempts"] == 2 and row["error"] == "gave up after 2 attempts", row
    assert not (stack.root / "shakemaps-extracted" / SHAKE_ID).exists()
    # the web app emails the admins; the notice is sent once the task has recorded the failure, so it is waited for
    notice = {"hazard": "earthquake", "event_id": SHAKE_ID, "reason": "gave up after 2 attempts",
              "source_type": "initial"}
    wait_until(lambda: notice in web_notices(stack), 60, what="the give-up notice on the web app's queue")

    process_good_version(stack, "after the kills")  # the same worker serves the next event
    assert version(stack, SHAKE_ID, sha, "failed")["attempts"] == 2  # and never took the given-up one again
    assert stack.processes["worker"].poll() is None and stack.processes["worker"].pid == worker


# 2. a grid outside the watched folders -----------------------------------------------------------------
def test_a_grid_outside_the_watched_folders_is_refused_and_recorded(stack, fixtures):
    elsewhere = stack.root / "elsewhere" / SHAKE_ID / "grid.xml"
    elsewhere.parent.mkdir(parents=True)
    shutil.copyfile(GRID_INITIAL, elsewhere)
    link = stack.shakemaps / "20200101000003" / "grid.xml"  # inside by name, outside by where it leads
    link.parent.mkdir(parents=True)
    link.symlink_to(elsewhere)
    cases = {"20200101000001": str(elsewhere),
             "20200101000002": f"{stack.shakemaps}/20200101000002/../../elsewhere/{SHAKE_ID}/grid.xml",
             "20200101000003": str(link)}
    for event_id, grid_file in cases.items():
        answer = call(stack, SHAKE, event_id=event_id, grid_file=grid_file)
        assert answer["status"] == "failed" and "not inside the watched folder" in answer["message"], answer
        assert grid_file in answer["message"] and "\n" not in answer["message"]
        [row] = stack.ledger_rows(event_id)
        assert (row["state"], row["attempts"]) == ("failed", 1), row
        assert grid_file in row["error"] and "not inside the watched folder" in row["error"]
        assert "not retried" in row["error"]
    log = worker_log(stack)
    assert all(f"process_shake refused: {grid_file}: not inside" in log for grid_file in cases.values())
    assert not any((stack.root / "shakemaps-extracted" / event_id).exists() for event_id in cases)
    outside = hashlib.sha256(GRID_INITIAL.read_bytes()).hexdigest()  # the grid they lead to was never read
    assert not [row for row in stack.ledger_rows(SHAKE_ID) if row["sha256"] == outside]


# 3. a processing failure inside the worker --------------------------------------------------------------
def test_a_corrupt_population_raster_fails_the_event_and_the_worker_serves_the_next(stack, analysis, fixtures):
    population = analysis / "exposure" / "population.tif"
    good = population.read_bytes()
    population.write_bytes(good[:4096])  # a copy cut short: the header is there, the cells are not
    try:
        path, sha = put_version(stack, "corrupt population")
        stack.send_task(SHAKE, event_id=SHAKE_ID, grid_file=path)
        row = version(stack, SHAKE_ID, sha, "failed")
    finally:
        population.write_bytes(good)
    assert row["attempts"] == 2 and "attempt 2 of 2; not retried" in row["error"], row
    assert path in row["error"] and "\n" not in row["error"]
    assert "population.tif" in row["error"], row["error"]
    process_good_version(stack, "population repaired")


# 4. the flood task: retry, then processed; refusals ----------------------------------------------------
def hourly_rows(stack: Stack, since: datetime) -> list[dict]:
    """The ledger rows of the hourly floods since `since` (a retry after the top of the hour is the next one)."""
    hours = {f"{moment:%Y%m%d%H}-6-rw" for moment in (since, datetime.now(timezone.utc))}
    return [r for flood_id in sorted(hours) for r in stack.ledger_rows(flood_id) if r["kind"] == "flood"]


def test_petabencana_down_first_is_retried_then_processed(stack, petabencana, recorded):
    """The hourly request as beat sends it (no arguments): this hour's flood, from the live source."""
    logged = len(worker_log(stack))
    # Down for exactly the first attempt: its request and the client's 4 quick retries (source.py, retries=4).
    with petabencana.lock:
        petabencana.failing, petabencana.failure = 5, (503, b"<html>Service Unavailable</html>")
    before = datetime.now(timezone.utc)
    try:
        stack.send_task(FLOOD)  # beat's kwargs: {}
        # The failed row lasts only until the retry a second later settles it, so the attempt is read from the log.
        failed = wait_until(lambda: re.findall(r"flood \S+ failed: (.*)", worker_log(stack)[logged:]), 120,
                            what="first attempt failed")
    finally:
        with petabencana.lock:
            petabencana.failing = 0  # whatever happened, the next test gets the recorded answer
    assert "HTTP 503" in failed[0] and "attempt 1 of 2; will retry" in failed[0], failed
    sha = hashlib.sha256(recorded).hexdigest()
    done = wait_until(lambda: [r for r in hourly_rows(stack, before) if r["sha256"] == sha and r["state"] == "done"],
                      180, what="processed on the retry")
    flood_id = done[0]["event_id"]
    assert petabencana.served[-1] == 200 and set(petabencana.served[:-1]) == {503}
    assert (stack.root / "floodmaps" / flood_id / "flood_data.json").read_bytes() == recorded
    products = stack.root / "floodmaps-extracted" / flood_id
    impact = json.loads((products / "impact.json").read_text())
    assert (products / impact["products"]["hazard"]).read_bytes() == recorded  # made from what was served
    # the failed fetch is settled by the answer, so the status no longer shows a failure that is over
    (unversioned,) = [r for r in stack.ledger_rows(flood_id) if r["sha256"] == ""]
    assert unversioned["state"] == "superseded" and sha[:12] in unversioned["error"], unversioned
    assert flood_id not in stack.cli("status", "--failed").stdout


@pytest.mark.parametrize("flood_id, data_source, problem", [
    ("../../etc/passwd", "petabencana", "is not YYYYMMDDHH"),
    ("2017022105-6-rw/../../../x", "petabencana", "is not YYYYMMDDHH"),
    ("2017022199-6-rw", "petabencana", "impossible date"),
    ("2017022105-6-rw", "../../etc/passwd", "unknown flood data source"),
])
def test_hostile_flood_requests_are_refused_in_one_line(stack, petabencana, flood_id, data_source, problem):
    served = len(petabencana.served)
    answer = call(stack, FLOOD, flood_id=flood_id, data_source=data_source)
    assert answer["success"] is False and answer["status"] == "failed", answer
    assert problem in answer["error"] and "\n" not in answer["error"]
    assert f"process_flood refused: {answer['error']}" in worker_log(stack)
    assert len(petabencana.served) == served  # nothing fetched
    floodmaps = stack.root / "floodmaps"
    assert not floodmaps.exists() or all(p.name[:10].isdigit() for p in floodmaps.iterdir())
    assert not (stack.root / "etc").exists()


def test_a_malformed_petabencana_answer_fails_after_the_attempts(stack, petabencana):
    served = len(petabencana.served)
    petabencana.answer = (200, b"<html><body>Sedang dalam perbaikan</body></html>")
    try:
        answer = call(stack, FLOOD, flood_id="2017022106-6-rw")
    finally:
        petabencana.answer = None
    assert answer["success"] is False and answer["status"] == "failed", answer
    [row] = stack.ledger_rows("2017022106-6-rw")
    assert (row["state"], row["attempts"]) == ("failed", 2), row
    assert petabencana.url in row["error"] and "attempt 2 of 2; not retried" in row["error"]
    assert len(petabencana.served) - served == 2  # one request per attempt, none after the last
    assert not (stack.root / "floodmaps" / "2017022106-6-rw").exists()
