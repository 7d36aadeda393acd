"""Email end to end: the processor's push over HTTP, the web app's Celery worker with beat, redis, a real SMTP server.

The web app runs under gunicorn, its worker as the README runs it (`celery -A inasafe_web worker -B -Q inasafe-django`
from services/web); a subscriber is added with `manage.py addsubscriber`; versions are pushed by the processor's
own push code from a folder of real products. Sending never blocks the push: with redis stopped the push still
succeeds, and the beat sweep mails the version once redis is back.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from conftest import GRID_INITIAL
from servers import free_port, manage, stop, wait_for_port, wait_until, web_app, web_env
from smtp_inbox import attachments, smtp_server, subject
from test_processor_check import start_web_worker

USER = ("test@realtime.inasafe.org", "t3st-pass")
READER = "duty@example.org"
WAIT = 180  # seconds: an upper bound for a worker reconnecting to redis and a sweep running


@pytest.fixture(scope="module")
def products(fixtures, demo_data, tmp_path_factory) -> Path:
    """One real product folder (impact.json, layers, en and id reports) from the pipeline."""
    from realtime.pipeline.shake import process_shake

    result = process_shake(GRID_INITIAL, demo_data, tmp_path_factory.mktemp("products"),
                           now=datetime(2024, 1, 1, tzinfo=timezone.utc), source_type="initial", locales=["en", "id"])
    return result.folder


def fresh_version(products: Path, workdir: Path, shake_id: str, minutes_ago: int) -> tuple[Path, dict]:
    """The products as a version that happened minutes ago (the fixture grid is from 2018: too old to mail)."""
    folder = workdir / shake_id
    shutil.copytree(products, folder)
    document = json.loads((folder / "impact.json").read_text())
    moment = datetime.now(timezone(timedelta(hours=7))).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    document["shake_id"] = shake_id
    document["event"]["time"] = moment.isoformat()
    (folder / "impact.json").write_text(json.dumps(document))
    return folder, document


def expected_subject(document: dict) -> str:
    """PAGER's form from impact.json, in English: "GREEN alert – M 5.0 – 43 km W of Tomohon"."""
    alert, location = document["fatalities"]["alert"], document["location"]
    where = f"{round(location['distance_km'])} km {location['direction']} of {location['place']}"
    return f"{alert.upper()} alert – M {document['event']['magnitude']:.1f} – {where}"


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    """redis on a given port, so it can be stopped and started again where the worker looks for it."""
    process = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(workdir)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_for_port(port, process)
    return process


def push(base: str, folder: Path) -> None:
    """The processor's push: create, mmi_output and grid, each report, then the impact last."""
    from realtime.runtime.push import push_earthquake
    from realtime.runtime.rest import RealtimeRest

    push_earthquake(RealtimeRest(f"{base}/realtime/api/v1/", *USER, timeout=30), folder)


def mails(inbox, document: dict) -> list:
    wanted = expected_subject(document)
    return [message for message in inbox.to(READER) if subject(message) == wanted and
            document["shake_id"] in message.get_body(preferencelist=("plain",)).get_content()]


@pytest.mark.slow
def test_pushed_versions_reach_a_subscriber_even_when_redis_was_down(products, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    smtp_port, redis_port = free_port(), free_port()
    extra = {"INASAFE_REALTIME_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0", "EMAIL_HOST": "127.0.0.1",
             "EMAIL_PORT": str(smtp_port), "DEFAULT_FROM_EMAIL": "InaSAFE Realtime <realtime@example.org>",
             "REALTIME_SITE_URL": "https://realtime.example.org", "REALTIME_NOTIFY_SWEEP_SECONDS": "2"}
    redis = start_redis(redis_port, tmp_path)
    worker = None
    try:
        with smtp_server(smtp_port) as inbox, web_app(tmp_path, user=USER, **extra) as base:
            env = web_env(tmp_path, **extra)
            added = manage(env, "addsubscriber", READER, "--min-alert", "green", "--language", "en")
            assert added.stdout.startswith(f"added {READER}: confirmed, language en")
            worker = start_web_worker(tmp_path, env)

            first, first_doc = fresh_version(products, tmp_path, "20991231000001", minutes_ago=20)
            push(base, first)
            [message] = wait_until(lambda: mails(inbox, first_doc), WAIT, 0.5, what="the first version's email")
            [(name, mime, content)] = attachments(message)
            report = first_doc["products"]["reports"]["en"]["pdf"]
            assert mime == "application/pdf" and content == (first / report).read_bytes()
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

            stop(redis)  # the broker goes away: the push must still succeed, nothing waits on it
            second, second_doc = fresh_version(products, tmp_path, "20991231000002", minutes_ago=10)
            push(base, second)
            pushed = requests.get(f"{base}/realtime/api/v1/earthquake/20991231000002/initial/", timeout=10).json()
            assert pushed["impact"]["shake_id"] == "20991231000002"
            assert [r["language"] for r in sorted(pushed["reports"], key=lambda r: r["language"])] == ["en", "id"]

            redis = start_redis(redis_port, tmp_path)  # back, empty: the hand-over was lost, the sweep finds it
            [late] = wait_until(lambda: mails(inbox, second_doc), WAIT, 0.5, what="the email after redis came back")
            assert attachments(late)[0][2] == (second / second_doc["products"]["reports"]["en"]["pdf"]).read_bytes()
            assert len(mails(inbox, first_doc)) == 1  # the sweeps since sent nothing twice
            # The push's hand-over to the broker failed (and did not fail the push): the sweep sent it.
            assert "could not queue notifications for earthquake" in (tmp_path / "gunicorn.log").read_text()
    finally:
        if worker is not None:
            stop(worker)
        stop(redis)
