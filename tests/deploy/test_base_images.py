"""Static checks of the base-image stand-ins: they stay out of the project's Dockerfiles, and build.sh refuses clearly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE_IMAGES = REPO / "services" / "base-images"
PROJECT_DOCKERFILES = sorted((REPO / "services").glob("*/Dockerfile"))
STAND_IN_DOCKERFILES = sorted(BASE_IMAGES.glob("*/Dockerfile"))
OFFICIAL_BASES = {"python:3.11-slim-bookworm", "debian:bookworm-slim"}


def from_lines(dockerfile: Path) -> list[str]:
    return re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), flags=re.MULTILINE)


@pytest.mark.parametrize("dockerfile", PROJECT_DOCKERFILES, ids=lambda p: p.parent.name)
def test_project_dockerfiles_use_official_tags_and_no_stand_in_detail(dockerfile):
    assert set(from_lines(dockerfile)) <= OFFICIAL_BASES, from_lines(dockerfile)
    text = dockerfile.read_text()
    for detail in ("PIP_CERT", "ca-certificates.crt", "PIP_INDEX_URL", "host-ca"):
        assert detail not in text, f"{dockerfile}: {detail} belongs to the stand-ins only"


def test_stand_ins_cover_every_base_the_project_names():
    named = {base for dockerfile in PROJECT_DOCKERFILES for base in from_lines(dockerfile)}
    compose = (REPO / "docker-compose.yml").read_text()
    named |= set(re.findall(r"image:\s*(redis:\S+)", compose))
    script = (BASE_IMAGES / "build.sh").read_text()
    built = set(re.findall(r"^if wanted (\S+); then", script, flags=re.MULTILINE))
    assert named == built == OFFICIAL_BASES | {"redis:7-bookworm"}
    # each stand-in built with docker build starts from the stand-in debian, never from a registry image
    assert {base for dockerfile in STAND_IN_DOCKERFILES for base in from_lines(dockerfile)} == {"debian:bookworm-slim"}


@pytest.mark.parametrize("dockerfile", STAND_IN_DOCKERFILES, ids=lambda p: p.parent.name)
def test_stand_in_dockerfiles_pass_hadolint(dockerfile):
    hadolint = shutil.which("hadolint") or str(REPO / ".venv" / "bin" / "hadolint")
    result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_refuses_in_one_line_when_docker_is_not_running(tmp_path):
    if shutil.which("docker") is None:
        pytest.skip("the docker command is not installed")
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = subprocess.run([str(BASE_IMAGES / "build.sh")], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("base-images: Docker is not running"), result.stderr


def test_build_refuses_an_unknown_argument_before_touching_docker():
    result = subprocess.run([str(BASE_IMAGES / "build.sh"), "--mirorr", "http://x"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == "base-images: unknown argument --mirorr (see --help)"


def test_build_context_keeps_secrets_and_local_state_out():
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".git", ".venv", ".venv-compose", "var", "bench", "tests"} <= ignored
    # what the processor and web Dockerfiles COPY from the repository root must stay in the context
    copied = set()
    for name in ("processor", "web"):
        for line in re.findall(r"^COPY\s+(.+)$", (REPO / "services" / name / "Dockerfile").read_text(), re.MULTILINE):
            copied |= {part.rstrip("/") for part in line.split()[:-1]}
    for path in copied:
        assert not any(path == pattern or path.startswith(pattern + "/") for pattern in ignored), path
