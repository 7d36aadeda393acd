"""The web image's HEALTHCHECK (services/web/healthcheck.py) per role, the entrypoint run as a plain process:
web is healthy when gunicorn's /healthz answers, beat when its own Celery node answers a ping through redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from servers import REPO, free_port, redis_server, stop
from stack import wait_until

VENV_BIN = Path(sys.executable).parent
WEB = REPO / "services" / "web"


def web_role_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "REALTIME_WEB_SQLITE": str(tmp_path / "web.sqlite3"),
            "MEDIA_ROOT": str(tmp_path / "media"), "STATIC_ROOT": str(tmp_path / "static"),
            "DJANGO_SECRET_KEY": "test", "REALTIME_HEALTH_FILE": str(tmp_path / "health"), **extra}


def start(role: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(["sh", str(WEB / "entrypoint.sh"), role], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess:
    """The image's HEALTHCHECK command, as Docker runs it."""
    return subprocess.run([sys.executable, str(WEB / "healthcheck.py")], env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_dockerfile_runs_this_healthcheck():
    text = (WEB / "Dockerfile").read_text()
    assert 'CMD ["python", "/app/services/web/healthcheck.py"]' in text


def test_web_role_is_healthy_when_gunicorn_answers_even_with_other_allowed_hosts(tmp_path):
    port = free_port()
    env = web_role_env(tmp_path, REALTIME_WEB_BIND=f"127.0.0.1:{port}", REALTIME_WEB_WORKERS="1",
                       DJANGO_ALLOWED_HOSTS="web,localhost")  # the catalog's default WEB_HOSTNAMES
    process = start("web", env, tmp_path / "web.log")
    try:
        wait_until(lambda: healthcheck(env).returncode == 0, 90, interval=0.5, what="web role healthy")
        assert (tmp_path / "health").read_text().strip() == f"http://127.0.0.1:{port}/healthz"
    finally:
        stop(process)
    result = healthcheck(env)  # gunicorn gone: unhealthy, in one line
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_beat_role_is_healthy_when_its_celery_node_answers_and_not_after(tmp_path):
    with redis_server(tmp_path) as broker:
        env = web_role_env(tmp_path, INASAFE_REALTIME_BROKER_URL=broker,
                           REALTIME_BEAT_SCHEDULE=str(tmp_path / "celerybeat-schedule"))
        process = start("beat", env, tmp_path / "beat.log")
        try:
            wait_until(lambda: healthcheck(env).returncode == 0, 90, interval=1, what="beat role healthy")
            assert (tmp_path / "health").read_text().strip() == "celery"
        finally:
            stop(process)
        result = healthcheck(env)  # redis up, the node gone: no pong
        assert result.returncode == 1 and "did not answer" in result.stderr, result.stderr
    result = healthcheck(env)  # redis gone too: a bounded, one-line failure
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
