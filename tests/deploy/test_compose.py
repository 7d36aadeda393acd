"""Static checks of the deployment files: compose syntax, Rancher settings, volumes, Dockerfiles."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEV = REPO / "docker-compose.yml"
PRODUCTION = REPO / "production" / "docker" / "docker-compose.yml"
CATALOG = REPO / "production" / "rancher-catalog" / "templates" / "inasafe-realtime"
COMPOSE_FILES = [DEV, PRODUCTION, CATALOG / "0" / "docker-compose.yml"]
RANCHER_PAIRS = [
    (PRODUCTION, REPO / "production" / "docker" / "rancher-compose.yml"),
    (CATALOG / "0" / "docker-compose.yml", CATALOG / "0" / "rancher-compose.yml"),
]
DOCKER_COMPOSE = REPO / ".venv-compose" / "bin" / "docker-compose"
RANCHER_KEYS = {"scale", "retain_ip", "health_check", "upgrade_strategy", "scale_policy", "metadata", "lb_config",
                "external_ips", "storage_driver", "network_driver"}
HEALTH_PORTS = {"web": 8000, "worker": 8080, "monitor": 8081, "sftp": 22, "redis": 6379}
# The processor's roles by file: production keeps the original stack's service names (adopted in place).
ROLES = {DEV: {"worker": "worker", "monitor": "monitor"}}
PRODUCTION_ROLES = {"worker": "inasafe-worker", "monitor": "inasafe-shakemap-monitor"}


def role(compose: Path, name: str) -> str:
    return ROLES.get(compose, PRODUCTION_ROLES).get(name, name)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_compose_files_pass_docker_compose_config(path, tmp_path):
    if not DOCKER_COMPOSE.exists():
        pytest.skip("docker-compose 1.29.2 venv missing: `make test` builds .venv-compose")
    project = tmp_path / "project"
    shutil.copytree(path.parent, project, ignore=shutil.ignore_patterns(".venv*", "var", "tests", ".git"))
    shutil.copyfile(REPO / ".env.example", project / ".env")
    answers = {q["variable"]: str(q.get("default") or "sample") for q in catalog_questions()}
    result = subprocess.run([str(DOCKER_COMPOSE), "-f", str(project / path.name), "config", "-q"],
                            capture_output=True, text=True, cwd=project, timeout=120, env={**os.environ, **answers})
    assert result.returncode == 0, result.stderr
    assert "variable is not set" not in result.stderr, result.stderr  # every variable is a catalog question


def catalog_questions() -> list[dict]:
    return load(CATALOG / "0" / "rancher-compose.yml")["catalog"]["questions"]


@pytest.mark.parametrize("path", COMPOSE_FILES + [p for _, p in RANCHER_PAIRS], ids=lambda p: str(p.relative_to(REPO)))
def test_only_interpolation_rancher_1_6_supports(path):
    text = path.read_text()
    assert not re.search(r"\$\{[A-Za-z_][A-Za-z0-9_]*[:?-]", text), "Rancher 1.6 has no ${VAR:-default} forms"
    assert load(path)["version"] == "2"


@pytest.mark.parametrize("compose, rancher", RANCHER_PAIRS, ids=lambda p: str(p.relative_to(REPO)))
def test_rancher_compose_matches_its_compose_file(compose, rancher):
    services = load(compose)["services"]
    settings = load(rancher)["services"]
    assert set(settings) <= set(services), set(settings) - set(services)
    worker, monitor = role(compose, "worker"), role(compose, "monitor")
    assert {worker, monitor, "web", "sftp"} <= set(settings)
    for generic in HEALTH_PORTS:
        name = role(compose, generic)
        check = settings[name].get("health_check")
        assert check and check["port"] == HEALTH_PORTS[generic], name
        if generic in ("web", "worker", "monitor"):
            assert check["request_line"] == ("GET /healthz HTTP/1.0")
    for name, options in settings.items():
        assert set(options) <= RANCHER_KEYS, (name, set(options) - RANCHER_KEYS)
    assert settings[monitor]["scale"] == 1 and settings["sftp"]["scale"] == 1
    assert settings[monitor]["upgrade_strategy"]["start_first"] is False
    assert settings["sftp"]["upgrade_strategy"]["start_first"] is False


def test_health_ports_match_the_processes():
    from realtime.settings import Settings

    defaults = Settings()
    assert (defaults.worker_health_port, defaults.monitor_health_port) == (HEALTH_PORTS["worker"], HEALTH_PORTS["monitor"])
    dockerfile = (REPO / "services" / "processor" / "Dockerfile").read_text()
    assert "EXPOSE 8080 8081" in dockerfile
    assert "8000" in (REPO / "services" / "web" / "entrypoint.sh").read_text()


def image_env(dockerfile: Path) -> dict[str, str]:
    """The ENV lines of a Dockerfile, joined over continuations."""
    text = dockerfile.read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"([A-Z_]+)=(\S+)", line))
    return env


NEEDS = {
    "worker": ("SHAKEMAPS_DIR", "SHAKEMAPS_CORRECTED_DIR", "SHAKEMAPS_EXTRACT_DIR", "SHAKEMAPS_CORRECTED_EXTRACT_DIR",
               "FLOODMAPS_DIR", "REALTIME_FLOOD_EXTRACT_DIR", "REALTIME_HAZARD_DROP", "ANALYSIS_DATA_DIR", "REALTIME_STATE_DIR"),
    "monitor": ("SHAKEMAPS_DIR", "SHAKEMAPS_CORRECTED_DIR", "SHAKEMAPS_EXTRACT_DIR", "SHAKEMAPS_CORRECTED_EXTRACT_DIR",
                "REALTIME_STATE_DIR"),
}


@pytest.mark.parametrize("compose", COMPOSE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_folder_the_processor_uses_is_on_a_volume(compose):
    env = image_env(REPO / "services" / "processor" / "Dockerfile")
    services = load(compose)["services"]
    declared = set(load(compose)["volumes"])
    for generic, names in NEEDS.items():
        service = services[role(compose, generic)]
        mounts = {}
        for volume in service["volumes"]:
            source, target = volume.split(":")[:2]
            assert source in declared, (generic, source)
            mounts[target] = source
        overrides = {k: str(v) for k, v in (service.get("environment") or {}).items()}
        for name in names:
            if name == "REALTIME_STATE_DIR" and compose != DEV:
                continue  # production: in the container, rebuilt at start (a local volume would pin it to a host)
            path = overrides.get(name, env[name])
            assert any(path == target or path.startswith(target + "/") for target in mounts), (generic, name, path)
    shared = ("/home/realtime/shakemaps", "/home/realtime/shakemaps-extracted")
    for target in shared:  # the monitor reads what the worker writes: the same volume
        worker = dict(v.split(":")[1::-1] for v in services[role(compose, "worker")]["volumes"])
        monitor = dict(v.split(":")[1::-1] for v in services[role(compose, "monitor")]["volumes"])
        assert worker[target] == monitor[target]


OLD_STACK_VOLUMES = {"analysis-data", "shakemaps-bnpb-data", "shakemaps-bmkg-data", "shakemaps-extracted-data",
                     "shakemaps-corrected-data", "shakemaps-corrected-extracted-data", "floodmaps-data", "ashmaps-data",
                     "sftp-ssh-data", "sftp-ssh-config-data"}
OLD_STACK_SERVICES = {"inasafe-worker", "inasafe-shakemap-monitor", "sftp", "analysis-data-sync", "bmkg-sync",
                      "bnpb-sync", "shakemaps-extracted-sync", "shakemaps-corrected-sync",
                      "shakemaps-corrected-extracted-sync", "floodmaps-sync", "ashmaps-sync"}


@pytest.mark.parametrize("path", [PRODUCTION, CATALOG / "0" / "docker-compose.yml"], ids=lambda p: str(p.relative_to(REPO)))
def test_production_volumes_are_external_and_keep_the_old_stacks_names(path):
    """Environment-scoped (pre-created, never purged with the stack), and the original stack's names, so a
    deployment of inasafe/docker-realtime-orchestration is adopted in place; no local volume pins a host."""
    compose = load(path)
    volumes = compose["volumes"]
    assert all(volume == {"external": True} for volume in volumes.values()), volumes
    assert OLD_STACK_VOLUMES <= set(volumes)
    assert OLD_STACK_SERVICES <= set(compose["services"])
    assert compose["services"]["sftp"]["ports"] == ["${SFTP_PORT}:22"]


def test_catalog_is_generated_from_the_production_files():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_catalog", REPO / "production" / "build_catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path, text in module.build().items():
        assert path.read_text() == text, f"{path} is stale: run python production/build_catalog.py"
    asked = {q["variable"] for q in catalog_questions()}
    assert {"LB_IMAGE", "INASAFE_REALTIME_REST_URL", "INASAFE_REALTIME_REST_USER",
            "INASAFE_REALTIME_REST_PASSWORD", "BROKER_URL", "INASAFE_LOCALE", "SYNC_PEERS", "SYNC_API_KEY"} <= asked
    used = set(re.findall(r"\$\{([A-Z_]+)\}", (CATALOG / "0" / "docker-compose.yml").read_text()))
    assert used <= asked, used - asked
    assert (CATALOG / "config.yml").exists() and (CATALOG / "catalogIcon-inasafe-realtime.svg").exists()


@pytest.mark.parametrize("dockerfile", sorted((REPO / "services").glob("*/Dockerfile")), ids=lambda p: p.parent.name)
def test_dockerfiles_pass_hadolint(dockerfile):
    hadolint = shutil.which("hadolint") or str(REPO / ".venv" / "bin" / "hadolint")
    result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
