"""The web app's Celery beat really sends the hourly flood request, by name, to the processor's queue.

A real redis and the web app's real `celery beat` (services/web). Beat was down over the hour (its schedule
file says the last run was two hours ago), so the request is due when it starts: the test does not wait for
the top of the hour. What the processor's worker does with that message is tests/test_worker_paths.py's
(the hourly request, sent with the same empty arguments, fetched from a PetaBencana replay and processed).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import redis

from servers import WEB, redis_server, stop, wait_until, web_env

PROCESSOR_QUEUE = "inasafe-realtime"  # what `realtime worker` consumes (README, realtime.runtime.celery_app)
ENTRY = "process-hourly-flood-report"
OVERDUE = """
import sys
from datetime import timedelta

from celery.beat import PersistentScheduler

from inasafe_web.celery import app

scheduler = PersistentScheduler(app=app, schedule_filename=sys.argv[1], lazy=True)
scheduler.setup_schedule()
scheduler.schedule[sys.argv[2]].last_run_at = app.now() - timedelta(hours=2)
scheduler.sync()
scheduler.close()
"""


def test_beat_sends_the_hourly_flood_request_to_the_processor_queue(tmp_path):
    with redis_server(tmp_path) as broker:
        env = web_env(tmp_path, INASAFE_REALTIME_BROKER_URL=broker)
        schedule = tmp_path / "celerybeat-schedule"
        subprocess.run([sys.executable, "-c", OVERDUE, str(schedule), ENTRY], env=env, cwd=WEB, check=True,
                       capture_output=True, timeout=60)
        beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "inasafe_web", "beat", "--schedule",
                                 str(schedule), "--loglevel", "INFO"], env=env, cwd=WEB,
                                stdout=(tmp_path / "beat.log").open("w"), stderr=subprocess.STDOUT)
        queue = redis.Redis.from_url(broker)
        try:
            raw = wait_until(lambda: queue.lpop(PROCESSOR_QUEUE), 60, what="a message on the processor's queue")
        finally:
            stop(beat)
        message = json.loads(raw)
        assert message["content-type"] == "application/json"  # the processor accepts JSON only
        assert message["headers"]["task"] == "realtime.tasks.flood.process_flood"
        args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        assert (args, kwargs) == ([], {})  # this hour's flood, from PetaBencana: the task's defaults
        assert queue.llen(PROCESSOR_QUEUE) == 0  # once, not once per entry or per tick
        assert f"Sending due task {ENTRY} (realtime.tasks.flood.process_flood)" in (tmp_path / "beat.log").read_text()
