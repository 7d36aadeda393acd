"""The production stack (production/docker/docker-compose.yml) rendered with the catalog's default answers, its
external volumes created as local volumes, brought up from the real images: BMKG over SFTP to the web API.

Differences from a Rancher install, each forced by running it here:
- host ports: every published port is rewritten to 127.0.0.1 and a free port (an override file cannot do it:
  docker-compose merges port lists, it does not replace them);
- external volumes get this project's name as prefix, so the test never touches a real `realtime-*` volume;
- answers without a default: random secrets, DATABASE_URL a SQLite file in the container (no PostgreSQL here),
  REALTIME_VERSION `dev` (the images `make images` built), everything else the catalog's default.
"""

from __future__ import annotations

import re
import secrets
import subprocess

import pytest
import yaml

from compose_stack import (GRID_INITIAL, ComposeProject, Uploader, authorise_key, free_port, health_override,
                           new_key, pdf_bytes, project_name)
from servers import REPO, wait_until

PRODUCTION = REPO / "production" / "docker" / "docker-compose.yml"
QUESTIONS = REPO / "production" / "catalog-questions.yml"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # the only form the file uses (Rancher 1.6)
PATH_SERVICES = ("worker", "monitor", "sftp")  # the SFTP -> web path; the web app is checked through its API


def answers() -> dict[str, str]:
    questions = yaml.safe_load(QUESTIONS.read_text())["catalog"]["questions"]
    given = {q["variable"]: str(q["default"]).lower() if isinstance(q.get("default"), bool) else str(q["default"])
             for q in questions if "default" in q}
    return {**given,
            "REALTIME_VERSION": "dev",
            "NFS_HOST": "unused-here",
            "INASAFE_REALTIME_REST_PASSWORD": secrets.token_urlsafe(16),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": "sqlite:////tmp/web.sqlite3"}


def render(project: str, ports: dict[str, int]) -> tuple[str, list[str]]:
    """The production file with the answers in place, ports on 127.0.0.1, external volumes renamed."""
    values = answers()
    text = VARIABLE.sub(lambda m: values[m.group(1)], PRODUCTION.read_text())
    compose = yaml.safe_load(text)
    for name, service in compose["services"].items():
        if isinstance(service.get("environment"), dict):  # `false` answered is YAML's false: Rancher passes text
            service["environment"] = {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                                      for k, v in service["environment"].items()}
        published = []
        for mapping in service.get("ports", []):
            target = mapping.split(":")[-1]
            ports[name] = ports.get(name) or free_port()
            published.append(f"127.0.0.1:{ports[name]}:{target}")
        if published:
            service["ports"] = published
    external = []
    for name, volume in compose["volumes"].items():
        if volume.get("external") is True:
            compose["volumes"][name] = {"external": {"name": f"{project}-{name}"}}
            external.append(f"{project}-{name}")
    return yaml.safe_dump(compose, sort_keys=False), external


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    directory = tmp_path_factory.mktemp("production-stack")
    name = project_name("rtprod")
    ports: dict[str, int] = {}
    text, external = render(name, ports)
    (directory / "docker-compose.yml").write_text(text)
    services = tuple(yaml.safe_load(text)["services"])
    override = directory / "docker-compose.test.yml"
    override.write_text(health_override(tuple(s for s in services if s != "redis")))
    project = ComposeProject(name, directory, [directory / "docker-compose.yml", override], ports, host="localhost")
    try:
        for volume in external:
            subprocess.run(["docker", "volume", "create", volume], check=True, capture_output=True, timeout=60)
        project.up()
        assert b"analysis data ready" in project.exec("worker", "realtime", "data", "init").stdout
        yield project
    finally:
        project.down(volumes=True)
        subprocess.run(["docker", "volume", "rm", *external], capture_output=True, timeout=120)


def test_the_production_stack_takes_a_grid_over_sftp_to_both_pdfs(production, tmp_path):
    production.wait_healthy(services=PATH_SERVICES)
    key = new_key(tmp_path)
    authorise_key(production, key)
    uploader = Uploader(production, key)
    try:
        uploader.put(GRID_INITIAL, "20180220163351")
        event = production.wait_event("20180220163351")
    finally:
        uploader.close()
    assert event["magnitude"] == 5.0 and sorted(r["language"] for r in event["reports"]) == ["en", "id"]
    for report in event["reports"]:
        assert pdf_bytes(report["report_pdf"]).startswith(b"%PDF-"), report["report_pdf"]
    rows = production.rows_in("20180220163351", "pushed")
    assert len(rows) == 1 and rows[0]["attempts"] == 1


def test_every_container_with_a_health_check_becomes_healthy(production):
    """Under the catalog's defaults too: web's check asks 127.0.0.1, not in WEB_HOSTNAMES; beat pings its node."""
    def verdicts():  # every check has answered (redis has none: its state is 'running')
        states = {n: s for n, s in production.health().items() if "_redis_" not in n}
        return states if "starting" not in states.values() else None

    states = wait_until(verdicts, 180, interval=1, what="a health verdict for every container")
    assert set(states.values()) == {"healthy"}, states
