"""One machine, no Redis: the worker runs on a sqla+sqlite broker and answers tasks sent by name."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from servers import REPO, free_port, stop
from stack import wait_until

SEND = """
from realtime.runtime.celery_app import app
print(app.send_task("realtime.tasks.generic.check_broker_connection", queue="inasafe-realtime").get(timeout=60))
"""


def test_worker_on_a_sqlite_broker_answers(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
           "INASAFE_REALTIME_BROKER_HOST": f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}",
           "REALTIME_STATE_DIR": str(tmp_path / "state"), "REALTIME_HEALTH_HOST": "127.0.0.1",
           "REALTIME_WORKER_HEALTH_PORT": str(free_port())}
    worker = subprocess.Popen([sys.executable, "-m", "realtime", "worker"], env=env, cwd=REPO,
                              stdout=(tmp_path / "worker.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Celery's own line, "celery@HOST ready.": a bare "ready" also matches the start-up rebuild's "already"
        wait_until(lambda: re.search(r"@\S+ ready\.", (tmp_path / "worker.log").read_text()), 60, what="worker ready")
        answer = subprocess.run([sys.executable, "-c", SEND], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip() == "True"
    finally:
        stop(worker)
