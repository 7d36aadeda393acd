"""A docker-compose project driven from the host: its own name, .env and free ports on 127.0.0.1.

The project directory is a temp folder holding the .env, the test's override file (shorter health-check
intervals, so `healthy` comes in seconds) and a link to services/ (the compose file's build contexts).
Whoever starts a project removes it with `down -v`, also on failure.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import requests
import yaml

from servers import REPO, free_port, wait_until

DOCKER_COMPOSE = shutil.which("docker-compose") or str(REPO / ".venv-compose" / "bin" / "docker-compose")
DEV_COMPOSE = REPO / "docker-compose.yml"
FIXTURES = (REPO / ".." / "shared" / "fixtures").resolve()
GRID_INITIAL = FIXTURES / "earthquake" / "shakemaps" / "20180220163351" / "grid.xml"
FLOOD_SNAPSHOT = FIXTURES / "flood" / "petabencana-2017022105.json"
HEALTH_INTERVALS = {"beat": "15s"}  # beat's check starts a Celery client: not every 2 s
# PetaBencana replayed on the project network; the image is the one `make base-images` stands in for locally
REPLAY_SERVICE, REPLAY_IMAGE, REPLAY_PATH = "petabencana", "python:3.11-slim-bookworm", "floods"
REPLAY_URL = f"http://{REPLAY_SERVICE}:8080/{REPLAY_PATH}"
PUSH_USER = "push@realtime.example.org"
# The ledger, read-only with the standard library: no import of the processor, so a poll costs little.
LEDGER_QUERY = (
    "import json, sqlite3, sys\n"
    "db = sqlite3.connect('file:/var/lib/realtime/ledger.sqlite3?mode=ro', uri=True)\n"
    "db.row_factory = sqlite3.Row\n"
    "print(json.dumps([dict(r) for r in db.execute('SELECT * FROM events WHERE event_id LIKE ?', (sys.argv[1],))]))\n"
)


def health_override(services: tuple[str, ...], extra: dict[str, dict] | None = None) -> str:
    """The test's compose override: the same health checks, run every 2 s, so `healthy` is seconds away.
    `extra` adds settings to a service (more environment), or is a whole service of the test's own."""
    compose: dict = {"version": "2", "services": {}}
    for service in services:
        settings = json.loads(json.dumps((extra or {}).get(service, {})))  # a copy
        settings.setdefault("healthcheck", {}).update(interval=HEALTH_INTERVALS.get(service, "2s"), start_period="5s")
        compose["services"][service] = settings
    return yaml.safe_dump(compose, sort_keys=False)


def petabencana_replay(folder: Path) -> dict[str, dict]:
    """A stand-in for PetaBencana's API on the project network, serving `folder` (the test puts a recorded
    response at REPLAY_PATH), and the worker pointed at it."""
    probe = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/', timeout=3)"
    return {
        REPLAY_SERVICE: {
            "image": REPLAY_IMAGE,
            "command": ["python", "-m", "http.server", "8080", "--directory", "/srv/replay"],
            "volumes": [f"{folder}:/srv/replay:ro"],
            "healthcheck": {"test": ["CMD", "python", "-c", probe]},
        },
        "worker": {"environment": {"REALTIME_PETABENCANA_URL": REPLAY_URL}},
    }


def replay_petabencana(project: ComposeProject, snapshot: Path) -> None:
    """Answer the worker's next GET /floods with `snapshot` wrapped as the API wraps it (statusCode, result)."""
    body = {"statusCode": 200, "result": json.loads(snapshot.read_text())}
    (project.directory / REPLAY_SERVICE / REPLAY_PATH).write_text(json.dumps(body))


@contextmanager
def dev_stack(directory: Path, prefix: str, services: tuple[str, ...], *up_args: str) -> Iterator[ComposeProject]:
    """docker-compose.yml up under a fresh name, with the demo analysis data; always `down -v` afterwards."""
    ports = free_ports("web", "sftp", "sync")
    # test settings: a killed worker's task comes back after 20 s, the outbox retries every few seconds
    (directory / ".env").write_text(dev_env_file(ports, REALTIME_VISIBILITY_TIMEOUT="20", REALTIME_PUSH_RETRY_MAX="3"))
    (directory / "services").symlink_to(REPO / "services")
    override = directory / "docker-compose.test.yml"
    extra = {}
    if REPLAY_SERVICE in services:
        (directory / REPLAY_SERVICE).mkdir()
        extra = petabencana_replay(directory / REPLAY_SERVICE)
    override.write_text(health_override(services, extra))
    project = ComposeProject(project_name(prefix), directory, [DEV_COMPOSE, override], ports)
    try:
        project.up(*up_args)
        # the demo analysis data every analysis reads, made the documented way inside the worker
        assert b"analysis data ready" in project.exec("worker", "realtime", "data", "init").stdout
        yield project
    finally:
        project.down(volumes=True)


def project_name(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def dev_env_file(ports: dict[str, int], **extra: str) -> str:
    """The dev stack's .env: .env.example with a random secret key and password, free ports, test settings."""
    values = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "INASAFE_REALTIME_REST_USER": PUSH_USER,
        "INASAFE_REALTIME_REST_PASSWORD": secrets.token_urlsafe(16),
        "WEB_PORT": str(ports["web"]),
        "SFTP_PORT": str(ports["sftp"]),
        "SYNC_PORT": str(ports["sync"]),
        **extra,
    }
    lines = []
    for line in (REPO / ".env.example").read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={values.pop(name)}" if name in values and "=" in line else line)
    lines += [f"{name}={value}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


@dataclass
class ComposeProject:
    name: str
    directory: Path
    files: list[Path]
    ports: dict[str, int] = field(default_factory=dict)
    host: str = "127.0.0.1"  # the name the web API is asked under (it must be in DJANGO_ALLOWED_HOSTS)

    # docker-compose -------------------------------------------------------------------------------------
    def compose(self, *args: str, check: bool = True, timeout: float = 300, stdin: bytes | None = None
                ) -> subprocess.CompletedProcess:
        command = [DOCKER_COMPOSE, "--no-ansi", "-p", self.name, "--project-directory", str(self.directory)]
        for path in self.files:
            command += ["-f", str(path)]
        result = subprocess.run([*command, *args], capture_output=True, timeout=timeout, input=stdin,
                                cwd=self.directory)
        if check and result.returncode != 0:
            raise RuntimeError(f"docker-compose {' '.join(args)} exited {result.returncode}: "
                               f"{result.stderr.decode(errors='replace')[-2000:]}")
        return result

    def up(self, *args: str) -> None:
        self.compose("up", "-d", "--no-build", *args, timeout=600)

    def down(self, volumes: bool = True) -> None:
        self.compose("down", "--remove-orphans", *(["-v"] if volumes else []), check=False, timeout=300)

    def exec(self, service: str, *command: str, stdin: bytes | None = None, check: bool = True,
             timeout: float = 300) -> subprocess.CompletedProcess:
        return self.compose("exec", "-T", service, *command, stdin=stdin, check=check, timeout=timeout)

    def containers(self, service: str | None = None) -> list[str]:
        ids = self.compose("ps", "-q", *([service] if service else [])).stdout.decode().split()
        return ids

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", service, check=False).stdout.decode(errors="replace")

    # observing ------------------------------------------------------------------------------------------
    def health(self) -> dict[str, str]:
        """Container name -> health status ('healthy', 'starting', 'unhealthy', or the state when it has none)."""
        ids = self.containers()
        if not ids:
            return {}
        result = subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, timeout=60)
        states = {}
        for info in json.loads(result.stdout or "[]"):
            state = info["State"]
            states[info["Name"].lstrip("/")] = state.get("Health", {}).get("Status") or state["Status"]
        return states

    def wait_healthy(self, expected: int | None = None, services: tuple[str, ...] = (), timeout: float = 240
                     ) -> dict[str, str]:
        """Wait until `expected` containers run, all healthy; or, with `services`, until those are."""
        def all_healthy():
            states = self.health()
            if services:
                states = {name: s for name, s in states.items() if name.split("_")[1] in services}
                complete = {name.split("_")[1] for name in states} == set(services)
            else:
                complete = len(states) == expected
            return states if complete and set(states.values()) == {"healthy"} else None

        try:
            return wait_until(all_healthy, timeout, interval=1, what=f"{self.name}: every container healthy")
        except TimeoutError as error:
            raise TimeoutError(f"{error}: {self.health()}") from None

    def ledger(self, event_id: str, service: str = "monitor") -> list[dict]:
        """Ledger rows of an event (`%` matches any), read in a container that mounts the state volume."""
        result = self.exec(service, "python", "-c", LEDGER_QUERY, event_id, check=False, timeout=60)
        return json.loads(result.stdout) if result.returncode == 0 and result.stdout.strip() else []

    def rows_in(self, event_id: str, state: str) -> list[dict]:
        return [row for row in self.ledger(event_id) if row["state"] == state]

    def wait_state(self, event_id: str, state: str, timeout: float = 180, count: int = 1) -> list[dict]:
        return wait_until(lambda: (rows if len(rows := self.rows_in(event_id, state)) >= count else None),
                          timeout, interval=0.5, what=f"{event_id} {state}")

    # the web app ----------------------------------------------------------------------------------------
    @property
    def api(self) -> str:
        return f"http://{self.host}:{self.ports['web']}/realtime/api/v1/"

    def api_get(self, path: str) -> requests.Response:
        return requests.get(self.api + path, timeout=15)

    def event_with_reports(self, shake_id: str, source_type: str = "initial") -> dict | None:
        try:
            response = self.api_get(f"earthquake/{shake_id}/{source_type}/")
        except requests.RequestException:
            return None
        if response.status_code != 200:
            return None
        body = response.json()
        return body if len(body.get("reports", [])) == 2 else None

    def wait_event(self, shake_id: str, timeout: float = 240) -> dict:
        return wait_until(lambda: self.event_with_reports(shake_id), timeout, interval=1,
                          what=f"earthquake {shake_id} with both reports in the web API")


def pdf_bytes(url: str) -> bytes:
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.content


def timed(label: str, timings: dict[str, float]):
    """Context manager recording how long a piece of the stack test took (printed at the end of a module)."""
    class Timer:
        def __enter__(self):
            self.start = time.monotonic()

        def __exit__(self, *exc):
            timings[label] = time.monotonic() - self.start

    return Timer()


def free_ports(*names: str) -> dict[str, int]:
    return {name: free_port() for name in names}


# SFTP, as BMKG uploads ---------------------------------------------------------------------------------
AUTHORISE = "cat > /etc/ssh/authorized_keys/realtime && chmod 0644 /etc/ssh/authorized_keys/realtime"


def authorise_key(project: ComposeProject, key: Path) -> None:
    """Install the public key the way services/sftp/README.md tells a sysadmin to (through the running container)."""
    project.exec("sftp", "sh", "-c", AUTHORISE, stdin=key.with_suffix(".pub").read_bytes())


def new_key(folder: Path) -> Path:
    key = folder / "bmkg_realtime"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stack-test", "-f", str(key)], check=True)
    return key


def sftp_session(project: ComposeProject, key: Path):
    """A paramiko SFTP session to the stack's published port, the host key pinned from the sftp volume."""
    import paramiko

    host_key = project.exec("sftp", "cat", "/etc/ssh/host_keys/ssh_host_ed25519_key.pub").stdout.decode().split()
    client = paramiko.SSHClient()
    client.get_host_keys().add(f"[127.0.0.1]:{project.ports['sftp']}", host_key[0],
                               paramiko.Ed25519Key(data=__import__("base64").b64decode(host_key[1])))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect("127.0.0.1", port=project.ports["sftp"], username="realtime", key_filename=str(key),
                   look_for_keys=False, allow_agent=False, timeout=30)
    return client, client.open_sftp()


class Uploader:
    """BMKG's side: one key, a session opened on first use and again after the stack was re-created."""

    def __init__(self, project: ComposeProject, key: Path):
        self.project, self.key, self.client, self.session = project, key, None, None

    def put(self, grid: Path, event_id: str, folder: str = "shakemaps") -> None:
        """mkdir, put under a temp name, rename into place: the README's recipe for BMKG."""
        if self.session is None:
            self.client, self.session = sftp_session(self.project, self.key)
        target = f"{folder}/{event_id}"
        try:
            self.session.mkdir(target)
        except OSError:
            pass  # the folder exists: a second version of the event
        self.session.put(str(grid), f"{target}/grid.xml.part")
        self.session.posix_rename(f"{target}/grid.xml.part", f"{target}/grid.xml")

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = self.session = None


def scenario_grids(folder: Path, minutes: range, magnitude: float = 5.5, spacing: float = 0.05,
                   half_width: float = 1.0) -> list[Path]:
    """Scenario grids written by `realtime shake scenario` on the host (run side by side), one per origin minute."""
    runs = [subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "realtime"), "shake", "scenario", str(folder), "--magnitude", str(magnitude),
         "--lat", "-7.9", "--lon", "110.4", "--time", f"2024-01-01T{minute // 60:02d}:{minute % 60:02d}:00",
         "--spacing", str(spacing), "--half-width", str(half_width)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for minute in minutes]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    grids = [folder / f"20240101{minute // 60:02d}{minute % 60:02d}00" / "grid.xml" for minute in minutes]
    assert all(grid.is_file() for grid in grids), sorted(folder.iterdir())
    return grids
