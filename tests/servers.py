"""Real servers for tests, started as subprocesses on 127.0.0.1 with free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "services" / "web"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A throwaway redis-server; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (make test installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


def web_env(workdir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inasafe_web.settings",
        "REALTIME_WEB_SQLITE": str(workdir / "web.sqlite3"),
        "MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_SECRET_KEY": "test-secret",
        "PYTHONPATH": str(WEB),
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(WEB / "manage.py"), *args], env=env, cwd=WEB,
                          capture_output=True, text=True, timeout=120, check=True)


@contextmanager
def web_app(workdir: Path, user: tuple[str, str] = ("test@realtime.inasafe.org", "t3st-pass"), **extra: str) -> Iterator[str]:
    """The services/web app under gunicorn on a free port, migrated, with a push user; yields the base URL."""
    env = web_env(workdir, **extra)
    manage(env, "migrate", "-v0")
    manage(env, "createrealtimeuser", *user)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "inasafe_web.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "60", "--log-level", "warning"],
        env=env, cwd=WEB, stdout=subprocess.DEVNULL, stderr=(workdir / "gunicorn.log").open("w"),
    )
    try:
        wait_for_port(port, process)
        base = f"http://127.0.0.1:{port}"
        requests.get(f"{base}/realtime/api/v1/is_logged_in/", timeout=10)
        yield base
    finally:
        stop(process)


def django_shell(env: dict[str, str], script: str) -> str:
    """Run Python in the web app's Django shell; returns what it printed."""
    return manage(env, "shell", "-v", "0", "-c", script).stdout


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.25, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; return that, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout} s")


def ensure_web_catalog() -> None:
    """Compile the web app's Indonesian catalog when django.mo is missing or older than django.po.

    `make test` compiles it; this keeps a direct pytest run working (.mo files are not in git).
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = WEB / "events" / "locale" / "id" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return
    with po.open("rb") as source:
        catalog = read_po(source, locale="id")
    partial = mo.with_name(f"django.mo.{os.getpid()}")
    with partial.open("wb") as target:
        write_mo(target, catalog)
    os.replace(partial, mo)
