"""The whole realtime stack as real processes on loopback: redis, web app, worker, monitor."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests

from servers import REPO, WEB, free_port, manage, stop, wait_for_port, wait_until, web_env  # noqa: F401 (wait_until re-exported)

USER = ("push@realtime.example.org", "pu5h-pass")


@dataclass
class Stack:
    root: Path
    analysis_data: Path
    redis_url: str = ""
    redis_port: int = 0
    web_port: int = 0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    web_extra: dict[str, str] = field(default_factory=dict)  # web app settings (email, notices), for it and its worker

    @property
    def shakemaps(self) -> Path:
        return self.root / "shakemaps"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def api(self) -> str:
        return f"{self.base}/realtime/api/v1/"

    def env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        return {
            **inherited,
            "INASAFE_REALTIME_BROKER_HOST": self.redis_url,
            "INASAFE_REALTIME_REST_URL": self.api,
            "INASAFE_REALTIME_REST_USER": USER[0],
            "INASAFE_REALTIME_REST_PASSWORD": USER[1],
            "SHAKEMAPS_DIR": str(self.shakemaps),
            "SHAKEMAPS_CORRECTED_DIR": str(self.root / "shakemaps-corrected"),
            "SHAKEMAPS_EXTRACT_DIR": str(self.root / "shakemaps-extracted"),
            "SHAKEMAPS_CORRECTED_EXTRACT_DIR": str(self.root / "shakemaps-corrected-extracted"),
            "FLOODMAPS_DIR": str(self.root / "floodmaps"),
            "REALTIME_FLOOD_EXTRACT_DIR": str(self.root / "floodmaps-extracted"),
            "REALTIME_HAZARD_DROP": str(self.root / "hazard-drop"),
            "ANALYSIS_DATA_DIR": str(self.analysis_data),
            "REALTIME_STATE_DIR": str(self.root / "state"),
            "INASAFE_LOCALE": "en,id",
            "REALTIME_SETTLE_SECONDS": "1",
            "REALTIME_RECONCILE_SECONDS": "3",
            "REALTIME_MONITOR_POLL_INTERVAL": "0.5",
            "REALTIME_VISIBILITY_TIMEOUT": "20",
            "REALTIME_PUSH_RETRY_MAX": "3",
            "REALTIME_HEALTH_HOST": "127.0.0.1",
            "REALTIME_WORKER_HEALTH_PORT": str(self.ports["worker"]),
            "REALTIME_MONITOR_HEALTH_PORT": str(self.ports["monitor"]),
            "PYTHONUNBUFFERED": "1",
        }

    def __post_init__(self):
        self.ports = {"worker": free_port(), "monitor": free_port()}
        for name in ("shakemaps", "shakemaps-corrected", "hazard-drop", "state"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    # processes ---------------------------------------------------------------
    def _spawn(self, name: str, command: list[str], env: dict[str, str], cwd: Path = REPO) -> subprocess.Popen:
        log = (self.root / f"{name}.log").open("a")
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def start_redis(self) -> None:
        self.redis_port = self.redis_port or free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        process = self._spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                        "--dir", str(self.root / "state"), "--appendonly", "yes",
                                        "--appendfsync", "always", "--save", ""], os.environ.copy())
        wait_for_port(self.redis_port, process)

    def start_web(self) -> None:
        env = self.web_env()
        if not self.web_port:
            manage(env, "migrate", "-v0")
            manage(env, "createrealtimeuser", *USER)
            self.web_port = free_port()
        process = self._spawn("web", [sys.executable, "-m", "gunicorn", "inasafe_web.wsgi:application", "--bind",
                                      f"127.0.0.1:{self.web_port}", "--workers", "2", "--log-level", "warning"],
                              env, cwd=REPO / "services" / "web")
        wait_for_port(self.web_port, process)

    def web_env(self) -> dict[str, str]:
        return web_env(self.root, INASAFE_REALTIME_BROKER_URL=self.redis_url, **self.web_extra)

    def start_web_worker(self) -> None:
        """The web app's Celery worker on its own queue, without beat: it plans and sends the notifications that
        a published version hands over (events.dispatch), and nothing runs on a schedule behind a test's back."""
        self._spawn("web-worker", [sys.executable, "-m", "celery", "-A", "inasafe_web", "worker", "-Q", "inasafe-django",
                                   "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
                    self.web_env(), cwd=WEB)
        wait_until(lambda: " ready." in self.log("web-worker"), 60, what="web worker ready")

    def start_worker(self, **extra_env: str) -> None:
        """The processor worker; `extra_env` overrides settings for this worker only."""
        self._spawn("worker", [sys.executable, "-m", "realtime", "worker", "--loglevel", "INFO"],
                    {**self.env(), **extra_env})
        wait_until(lambda: self.health("worker") == 200, 60, what="worker health")

    def start_monitor(self, **extra_env: str) -> None:
        self._spawn("monitor", [sys.executable, "-m", "realtime", "monitor", "--polling"], {**self.env(), **extra_env})
        wait_until(lambda: self.health("monitor") == 200, 60, what="monitor health")

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        if sig == signal.SIGKILL:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        else:
            stop(process)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def health(self, name: str, timeout: float = 2) -> int | None:
        try:
            return requests.get(f"http://127.0.0.1:{self.ports[name]}/healthz", timeout=timeout).status_code
        except requests.RequestException:
            return None

    def healthy(self, name: str) -> bool:
        """A service's /healthz answers 200 within a bounded wait: one slow answer on a loaded runner is no failure."""
        wait_until(lambda: self.health(name, timeout=10) == 200, 60, what=f"{name} healthy")
        return True

    # observing ---------------------------------------------------------------
    def log(self, name: str) -> str:
        """What a process of the stack has logged so far (all its runs: the log is appended to)."""
        path = self.root / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def health_details(self, name: str, timeout: float = 2) -> dict | None:
        """The JSON of a service's /healthz (the monitor's last_scan and queued count), None when nothing answers."""
        try:
            return requests.get(f"http://127.0.0.1:{self.ports[name]}/healthz", timeout=timeout).json()
        except requests.RequestException:
            return None

    @staticmethod
    def refuses(port: int) -> bool:
        """True when 127.0.0.1:port refuses a connection (nothing listens), as a stopped service's port does."""
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED

    def product_folder(self, event_id: str, kind: str = "initial") -> Path:
        """Where the worker wrote an event's products: kind is initial or corrected (earthquakes), or flood."""
        variable = {"initial": "SHAKEMAPS_EXTRACT_DIR", "corrected": "SHAKEMAPS_CORRECTED_EXTRACT_DIR",
                    "flood": "REALTIME_FLOOD_EXTRACT_DIR"}[kind]
        return Path(self.env()[variable]) / event_id

    def outbox_rows(self, event_id: str) -> list[dict]:
        """The push outbox's rows for one event, in every state (pending, sent, dead)."""
        from realtime.runtime.ledger import OUTBOX_STATES, ledger_at

        ledger = ledger_at(self.root / "state")
        return [row for state in OUTBOX_STATES for row in ledger.pushes(state, event_id)]

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "realtime", *args], env=self.env(), cwd=REPO,
                              capture_output=True, text=True, timeout=300)

    def ledger_rows(self, event_id: str) -> list[dict]:
        from realtime.runtime.ledger import ledger_at

        return ledger_at(self.root / "state").events(event_id=event_id)

    def send_task(self, name: str, **kwargs) -> None:
        """Send a task by name on the processor's queue, as the monitor and the web app do (JSON)."""
        from celery import Celery

        client = Celery(broker=self.redis_url)
        client.conf.update(task_serializer="json", accept_content=["json"])
        try:
            client.send_task(name, kwargs=kwargs, queue="inasafe-realtime")
        finally:
            client.close()

    def api_get(self, path: str) -> requests.Response:
        return requests.get(self.api + path, timeout=10)

    def health_body(self, name: str) -> dict:
        """A service's /healthz JSON, read within a bounded wait (a slow or missed answer is read again)."""
        return wait_until(lambda: self.health_details(name, timeout=10), 60, what=f"{name} /healthz answered")

    def wait_pushed(self, event_id: str, timeout: float = 120.0) -> list[dict]:
        try:
            return wait_until(lambda: [r for r in self.ledger_rows(event_id) if r["state"] == "pushed"] or None,
                              timeout, what=f"{event_id} pushed")
        except TimeoutError as exc:  # say where it stuck: the ledger and what the worker and monitor said last
            tails = {name: "\n".join(self.log(name).splitlines()[-25:]) for name in ("worker", "monitor")}
            raise TimeoutError(f"{exc}\nledger: {self.ledger_rows(event_id)}\n"
                               + "\n".join(f"--- {name}.log (last lines)\n{tail}" for name, tail in tails.items())
                               ) from None
