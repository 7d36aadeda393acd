"""The "processor online" indicator end to end: the web app's Celery worker with beat, redis, a real processor.

The web side runs as the README runs it (`celery -A inasafe_web worker -B -Q inasafe-django` from services/web);
the processor is `realtime worker` on the same redis. Nothing blocks inside a task: the check is sent with a
callback on the web queue, and a check that got no answer within the timeout counts as "offline".
"""

from __future__ import annotations

import re
import subprocess
import sys

import requests

from servers import REPO, WEB, redis_server, stop, wait_until, web_app, web_env
from stack import Stack

CHECK_SECONDS = "2"  # beat sends a check this often
TIMEOUT_SECONDS = "4"  # a check unanswered for this long means "offline"


def page_status(base: str) -> str:
    html = requests.get(f"{base}/realtime/", timeout=10).text
    match = re.search(r'<p class="processor-status[^"]*"[^>]*>(.*?)</p>', html, re.S)
    assert match, "no processor status in the page header"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def start_web_worker(workdir, env) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "inasafe_web", "worker", "-B", "-Q", "inasafe-django",
               "--concurrency", "1", "--loglevel", "INFO", "--schedule", str(workdir / "celerybeat-schedule")]
    return subprocess.Popen(command, env=env, cwd=WEB, stdout=(workdir / "web-worker.log").open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def start_processor(workdir, broker: str) -> subprocess.Popen:
    stack = Stack(workdir / "processor", workdir / "analysis-data")
    stack.redis_url = broker
    env = {**stack.env(), "INASAFE_REALTIME_REST_URL": ""}  # no pushes in this test
    return subprocess.Popen([sys.executable, "-m", "realtime", "worker", "--loglevel", "INFO"], env=env, cwd=REPO,
                            stdout=(workdir / "processor.log").open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def test_the_page_follows_the_processor_offline_then_online_then_offline(tmp_path):
    with redis_server(tmp_path) as broker:
        extra = {"INASAFE_REALTIME_BROKER_URL": broker, "REALTIME_PROCESSOR_CHECK_SECONDS": CHECK_SECONDS,
                 "REALTIME_PROCESSOR_CHECK_TIMEOUT": TIMEOUT_SECONDS}
        with web_app(tmp_path, **extra) as base:
            assert page_status(base).startswith("Processor status unknown")  # nothing sent or answered yet
            web_worker = start_web_worker(tmp_path, web_env(tmp_path, **extra))
            try:
                # Nobody listens on inasafe-realtime: after the timeout the page says offline, with a time.
                status = wait_until(lambda: (s := page_status(base)).startswith("Processor offline") and s, 90,
                                    what="offline shown")
                assert re.search(r"no answer since .* WIB|never answered", status), status
                processor = start_processor(tmp_path, broker)
                try:
                    status = wait_until(lambda: (s := page_status(base)).startswith("Processor online") and s, 120,
                                        what="online shown")
                    assert re.search(r"last answer \d+ \w+ \d{4} \d\d:\d\d WIB", status), status
                finally:
                    stop(processor)
                status = wait_until(lambda: (s := page_status(base)).startswith("Processor offline") and s, 90,
                                    what="offline shown after the processor stopped")
                assert re.search(r"no answer since \d+ \w+ \d{4} \d\d:\d\d WIB", status), status
            finally:
                stop(web_worker)
            html = requests.get(f"{base}/realtime/", timeout=10).text
            for leak in ("Error", "Exception", "Traceback", "Never call", "result.get"):
                assert leak not in html, leak
            log = (tmp_path / "web-worker.log").read_text()
            assert "Never call result.get()" not in log
