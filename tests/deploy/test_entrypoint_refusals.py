"""The images' entrypoints, run as plain processes: one-line refusals, and programs run as given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from servers import REPO

VENV_BIN = Path(sys.executable).parent
WEB_ENTRYPOINT = REPO / "services" / "web" / "entrypoint.sh"
PROCESSOR_ENTRYPOINT = REPO / "services" / "processor" / "entrypoint.sh"


def run(entrypoint: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "PYTEST_VERSION")}
    return subprocess.run(["sh", str(entrypoint), *args], capture_output=True, text=True, timeout=120,
                          env={**base, "PATH": f"{VENV_BIN}:{os.environ['PATH']}", **env})


def test_web_roles_refuse_in_one_line_without_a_secret_key(tmp_path):
    for role in ("web", "beat", "migrate"):
        result = run(WEB_ENTRYPOINT, role, REALTIME_WEB_SQLITE=str(tmp_path / "web.sqlite3"))
        assert result.returncode == 2, (role, result.stderr)
        assert result.stderr.splitlines() == [
            "entrypoint: DJANGO_SECRET_KEY is not set: give the web app a long random secret (.env or the stack's answers)"
        ], role
    assert not (tmp_path / "web.sqlite3").exists()  # refused before touching the database


def test_web_debug_runs_need_no_secret(tmp_path):
    result = run(WEB_ENTRYPOINT, "check", DJANGO_DEBUG="True", REALTIME_WEB_SQLITE=str(tmp_path / "web.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_programs_run_as_given_in_both_images():
    for entrypoint in (WEB_ENTRYPOINT, PROCESSOR_ENTRYPOINT):
        result = run(entrypoint, "python", "-c", "import sys; print('args', sys.argv[1:])", "a b")
        assert (result.returncode, result.stdout) == (0, "args ['a b']\n"), result.stderr
        result = run(entrypoint, "sh", "-c", "exit 7")
        assert result.returncode == 7


def test_demo_refuses_in_one_line_when_its_folder_cannot_be_made(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run(PROCESSOR_ENTRYPOINT, "demo", REALTIME_DEMO_DIR=str(blocker / "demo"),
                 ANALYSIS_DATA_DIR=str(tmp_path / "analysis-data"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"entrypoint: REALTIME_DEMO_DIR ({blocker / 'demo'}) does not exist: is the volume mounted?"
    ]
