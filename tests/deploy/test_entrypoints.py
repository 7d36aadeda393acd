"""Each container's entrypoint run as a plain process, on a fake volume layout under tmp; health answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from servers import REPO, free_port, redis_server, stop
from stack import wait_until

VENV_BIN = Path(sys.executable).parent
PROCESSOR = REPO / "services" / "processor"


def volumes(root: Path) -> dict[str, str]:
    """The processor image's folder settings, pointed at folders under tmp."""
    names = {
        "SHAKEMAPS_DIR": "shakemaps", "SHAKEMAPS_CORRECTED_DIR": "shakemaps-corrected",
        "SHAKEMAPS_EXTRACT_DIR": "shakemaps-extracted", "SHAKEMAPS_CORRECTED_EXTRACT_DIR": "shakemaps-corrected-extracted",
        "FLOODMAPS_DIR": "floodmaps", "REALTIME_FLOOD_EXTRACT_DIR": "floodmaps/extracted",
        "REALTIME_HAZARD_DROP": "hazard-drop", "ANALYSIS_DATA_DIR": "analysis_data", "REALTIME_STATE_DIR": "state",
    }
    env = {}
    for variable, folder in names.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        env[variable] = str(root / folder)
    return env


def run_role(role: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(["sh", str(PROCESSOR / "entrypoint.sh"), role], env=env, cwd=REPO,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def healthcheck(env: dict[str, str]) -> int:
    """The image's HEALTHCHECK command, as Docker would run it."""
    return subprocess.run([sys.executable, str(PROCESSOR / "healthcheck.py")], env=env, capture_output=True,
                          timeout=30).returncode


@pytest.fixture
def processor_env(tmp_path, demo_data):
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env = {**base, **volumes(tmp_path / "volumes"), "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
           "REALTIME_HEALTH_HOST": "127.0.0.1", "REALTIME_HEALTH_URL_FILE": str(tmp_path / "health-url"),
           "REALTIME_WORKER_HEALTH_PORT": str(free_port()), "REALTIME_MONITOR_HEALTH_PORT": str(free_port())}
    env["ANALYSIS_DATA_DIR"] = str(demo_data)
    return env


@pytest.mark.parametrize("role", ["worker", "monitor"])
def test_processor_roles_start_and_answer_their_health_check(role, processor_env, tmp_path):
    with redis_server(tmp_path) as broker:
        env = {**processor_env, "INASAFE_REALTIME_BROKER_HOST": broker}
        process = run_role(role, env, tmp_path / f"{role}.log")
        try:
            wait_until(lambda: healthcheck(env) == 0, 60, interval=0.5, what=f"{role} healthy")
            port = env["REALTIME_WORKER_HEALTH_PORT" if role == "worker" else "REALTIME_MONITOR_HEALTH_PORT"]
            body = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
            assert body["healthy"] is True and body["broker"] is True
        finally:
            stop(process)


def test_worker_health_says_503_when_the_broker_is_gone(processor_env, tmp_path):
    env = {**processor_env, "INASAFE_REALTIME_BROKER_HOST": f"redis://127.0.0.1:{free_port()}/0"}
    process = run_role("worker", env, tmp_path / "worker.log")
    try:
        port = env["REALTIME_WORKER_HEALTH_PORT"]
        status = wait_until(lambda: _status(port), 60, interval=0.5, what="worker health endpoint")
        assert status == 503
        assert healthcheck(env) == 1
    finally:
        stop(process)


def _status(port: str) -> int | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
    except requests.RequestException:
        return None


def test_a_missing_volume_is_named(processor_env, tmp_path):
    env = {**processor_env, "SHAKEMAPS_EXTRACT_DIR": str(tmp_path / "not-mounted")}
    result = subprocess.run(["sh", str(PROCESSOR / "entrypoint.sh"), "worker"], env=env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert "SHAKEMAPS_EXTRACT_DIR" in result.stderr and "is the volume mounted?" in result.stderr


PASSWORD = "-Zq3_from-token_urlsafe"  # a leading "-" (1 in 64 random passwords) once read as an option


def test_web_entrypoint_migrates_creates_the_push_user_and_serves_healthz(tmp_path):
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
           "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "REALTIME_WEB_BIND": f"127.0.0.1:{port}",
           "REALTIME_WEB_WORKERS": "1", "REALTIME_WEB_SQLITE": str(tmp_path / "web.sqlite3"),
           "MEDIA_ROOT": str(tmp_path / "media"), "STATIC_ROOT": str(tmp_path / "static"),
           "INASAFE_REALTIME_REST_USER": "push@example.org", "INASAFE_REALTIME_REST_PASSWORD": PASSWORD,
           "DJANGO_SECRET_KEY": "test"}
    process = subprocess.Popen(["sh", str(REPO / "services" / "web" / "entrypoint.sh"), "web"], env=env,
                               stdout=(tmp_path / "web.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: _status(str(port)) == 200, 90, interval=0.5, what="web /healthz")
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"healthy": True}
        login = requests.get(f"http://127.0.0.1:{port}/realtime/api/v1/earthquake/", auth=("push@example.org", PASSWORD), timeout=5)
        assert login.status_code == 200
        assert (tmp_path / "static" / "events" / "site.css").exists()  # collectstatic ran
    finally:
        stop(process)
