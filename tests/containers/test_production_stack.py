"""The production stack (production/docker/docker-compose.yml), rendered with the catalog's default answers, started
from the real images on volumes laid out as the ORIGINAL stack (inasafe/docker-realtime-orchestration) left them:
the adoption of migration strategy 3. BMKG keeps its key and sees the same host keys; old events stay as they are.

Differences from a Rancher install, each forced by running it here:
- web-lb is left out (rancher/lb-service-haproxy needs Rancher's metadata service); web's port is published on
  127.0.0.1 in its place, as the balancer would forward it;
- host ports: every published port is rewritten to 127.0.0.1 and a free port (an override file cannot do it:
  docker-compose merges port lists, it does not replace them);
- external volumes get this project's name as prefix, so the test never touches a real volume, and are local
  volumes filled by the test instead of rancher-nfs;
- answers without a default: random secrets, DATABASE_URL a SQLite file in the container (no PostgreSQL here),
  REALTIME_VERSION `dev` (the images `make images` built), everything else the catalog's default.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import subprocess
from pathlib import Path

import pytest
import yaml

from compose_stack import (GRID_INITIAL, ComposeProject, free_port, health_override, pdf_bytes, project_name,
                           scenario_grids)
from servers import REPO, wait_until

PRODUCTION = REPO / "production" / "docker" / "docker-compose.yml"
QUESTIONS = REPO / "production" / "catalog-questions.yml"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # the only form the file uses (Rancher 1.6)
WORKER, MONITOR = "inasafe-worker", "inasafe-shakemap-monitor"
PATH_SERVICES = (WORKER, MONITOR, "sftp")  # the SFTP -> web path; the web app is checked through its API
NOT_HERE = ("web-lb",)  # needs a Rancher server
HOST_KEY_TYPES = {"ssh-ed25519": "ed25519", "ecdsa-sha2-nistp256": "ecdsa", "rsa-sha2-512": "rsa"}
OLD_UID = 1001  # the old sftp entrypoint gave realtime the uid of whoever owned the shakemaps folder
NEW_EVENT = "20180220163351"


def answers() -> dict[str, str]:
    questions = yaml.safe_load(QUESTIONS.read_text())["catalog"]["questions"]
    given = {q["variable"]: str(q["default"]).lower() if isinstance(q.get("default"), bool) else str(q["default"])
             for q in questions if "default" in q}
    return {**given,
            "REALTIME_VERSION": "dev",
            "INASAFE_REALTIME_REST_PASSWORD": secrets.token_urlsafe(16),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": "sqlite:////tmp/web.sqlite3"}


def render(project: str, ports: dict[str, int]) -> tuple[str, dict[str, str]]:
    """The production file with the answers in place, ports on 127.0.0.1, external volumes renamed; the volume
    names, original to prefixed."""
    values = answers()
    text = VARIABLE.sub(lambda m: values[m.group(1)], PRODUCTION.read_text())
    compose = yaml.safe_load(text)
    for name in NOT_HERE:
        del compose["services"][name]
    compose["services"]["web"]["ports"] = ["8000"]  # where web-lb would forward
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
    external = {}
    for name, volume in compose["volumes"].items():
        assert volume == {"external": True}, name
        external[name] = f"{project}-{name}"
        compose["volumes"][name] = {"external": {"name": external[name]}}
    return yaml.safe_dump(compose, sort_keys=False), external


# the original stack's volumes -----------------------------------------------------------------------------------
def old_etc_ssh(folder: Path) -> Path:
    """/etc/ssh as the original Ubuntu sftp image left it: three host keys and the files that come with them."""
    folder.mkdir()
    for kind in ("rsa", "ecdsa", "ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", f"root@old-sftp",
                        "-f", str(folder / f"ssh_host_{kind}_key")], check=True)
    (folder / "sshd_config").write_text("Port 22\nPermitRootLogin yes\nPasswordAuthentication yes\n"
                                        "Subsystem sftp /usr/lib/openssh/sftp-server\n")
    (folder / "ssh_config").write_text("Host *\n    SendEnv LANG LC_*\n")
    (folder / "moduli").write_text("20160301052556 2 6 100 2047 2 D5A2F8A1\n")
    return folder


def old_dot_ssh(folder: Path, key: Path) -> Path:
    folder.mkdir()
    (folder / "authorized_keys").write_bytes(key.with_suffix(".pub").read_bytes())
    return folder


def old_events(base: Path) -> tuple[Path, Path, str]:
    """An event the old system received (old layout: <id>/output/grid.xml) and extracted (its own products)."""
    grids = scenario_grids(base / "made", range(0, 1))
    event = grids[0].parent.name
    incoming = base / "shakemaps" / event / "output"
    incoming.mkdir(parents=True)
    incoming.joinpath("grid.xml").write_bytes(grids[0].read_bytes())
    extracted = base / "shakemaps-extracted" / event
    extracted.mkdir(parents=True)
    (extracted / f"{event}-en.pdf").write_bytes(b"%PDF-1.4 the old system's English report\n")
    (extracted / f"{event}-id.pdf").write_bytes(b"%PDF-1.4 laporan sistem lama\n")
    (extracted / "mmi-contours.shp").write_bytes(bytes(range(256)))
    (extracted / "impact-table.html").write_text("<table><tr><td>old</td></tr></table>\n")
    return base / "shakemaps", base / "shakemaps-extracted", event


def fill_volume(volume: str, source: Path, owner: str = "1000:1000", mode: str | None = None) -> None:
    """Copy a folder into a docker volume as the old stack would have left it (owner, modes)."""
    script = f"cp -a /src/. /volume/ && chown -R {owner} /volume" + (f" && chmod -R {mode} /volume" if mode else "")
    subprocess.run(["docker", "run", "--rm", "--user", "0", "--entrypoint", "sh", "-v", f"{volume}:/volume",
                    "-v", f"{source}:/src:ro", "inasafe/realtime-sftp:dev", "-c", script],
                   check=True, capture_output=True, timeout=120)


def volume_digest(volume: str) -> dict[str, str]:
    """sha256 of every file in a volume, by path."""
    listing = subprocess.run(
        ["docker", "run", "--rm", "--user", "0", "--entrypoint", "sh", "-v", f"{volume}:/volume:ro",
         "inasafe/realtime-sftp:dev", "-c", "cd /volume && find . -type f -exec sha256sum {} +"],
        check=True, capture_output=True, text=True, timeout=120).stdout
    return {line.split(None, 1)[1].strip(): line.split()[0] for line in listing.splitlines() if line.strip()}


def digest(folder: Path) -> dict[str, str]:
    return {f"./{p.relative_to(folder)}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    directory = tmp_path_factory.mktemp("production-stack")
    name = project_name("rtprod")
    ports: dict[str, int] = {}
    text, volumes = render(name, ports)
    (directory / "docker-compose.yml").write_text(text)
    services = tuple(yaml.safe_load(text)["services"])
    override = directory / "docker-compose.test.yml"
    override.write_text(health_override(tuple(s for s in services if s != "redis")))
    project = ComposeProject(name, directory, [directory / "docker-compose.yml", override], ports, host="localhost")

    old = tmp_path_factory.mktemp("old-stack")
    key = old / "bmkg_realtime"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "bmkg", "-f", str(key)], check=True)
    etc_ssh = old_etc_ssh(old / "etc-ssh")
    dot_ssh = old_dot_ssh(old / "dot-ssh", key)
    incoming, extracted, old_event = old_events(old)
    project.old = {"key": key, "etc_ssh": etc_ssh, "event": old_event, "volumes": volumes,
                   "etc_ssh_digest": digest(etc_ssh), "extracted_digest": digest(extracted)}
    try:
        for volume in volumes.values():
            subprocess.run(["docker", "volume", "create", volume], check=True, capture_output=True, timeout=60)
        fill_volume(volumes["sftp-ssh-config-data"], etc_ssh, owner="0:0")
        fill_volume(volumes["sftp-ssh-data"], dot_ssh, owner=f"{OLD_UID}:{OLD_UID}", mode="go-rwx")
        fill_volume(volumes["shakemaps-bmkg-data"], incoming)
        fill_volume(volumes["shakemaps-extracted-data"], extracted)
        project.up()
        assert b"analysis data ready" in project.exec(WORKER, "realtime", "data", "init").stdout
        yield project
    finally:
        project.down(volumes=True)
        subprocess.run(["docker", "volume", "rm", *volumes.values()], capture_output=True, timeout=120)


def presented_key(port: int, algorithm: str):
    """The host key the server presents when the client accepts only `algorithm` (as a known_hosts entry pins)."""
    import paramiko

    others = [name for name in ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                                "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa") if name != algorithm]
    transport = paramiko.Transport(("127.0.0.1", port), disabled_algorithms={"keys": others})
    try:
        transport.start_client(timeout=30)
        return transport.get_remote_server_key()
    finally:
        transport.close()


def test_bmkg_sees_the_old_host_keys(production):
    production.wait_healthy(services=("sftp",))
    for algorithm, kind in HOST_KEY_TYPES.items():
        old = (production.old["etc_ssh"] / f"ssh_host_{kind}_key.pub").read_text().split()
        key = presented_key(production.ports["sftp"], algorithm)
        assert key.get_base64() == old[1], kind


def test_the_old_key_uploads_on_the_old_path_and_the_report_reaches_the_web_app(production):
    import paramiko

    production.wait_healthy(services=PATH_SERVICES)
    old = (production.old["etc_ssh"] / "ssh_host_ed25519_key.pub").read_text().split()
    client = paramiko.SSHClient()
    client.get_host_keys().add(f"[127.0.0.1]:{production.ports['sftp']}", old[0],
                               paramiko.Ed25519Key(data=__import__("base64").b64decode(old[1])))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())  # the pinned old key, or no connection
    client.connect("127.0.0.1", port=production.ports["sftp"], username="realtime",
                   key_filename=str(production.old["key"]), look_for_keys=False, allow_agent=False, timeout=30)
    try:
        session = client.open_sftp()
        target = f"/home/realtime/shakemaps/{NEW_EVENT}"  # the absolute path BMKG used with the old stack
        session.mkdir(target)
        session.put(str(GRID_INITIAL), f"{target}/grid.xml.part")
        session.posix_rename(f"{target}/grid.xml.part", f"{target}/grid.xml")
    finally:
        client.close()
    event = production.wait_event(NEW_EVENT)
    assert event["magnitude"] == 5.0 and sorted(r["language"] for r in event["reports"]) == ["en", "id"]
    for report in event["reports"]:
        assert pdf_bytes(report["report_pdf"]).startswith(b"%PDF-"), report["report_pdf"]


def test_old_events_are_neither_reprocessed_nor_lost(production):
    """After the monitor's start-up scan (the new event went through it), the old extracted folder is as it was."""
    production.wait_event(NEW_EVENT)
    event = production.old["event"]
    assert production.api_get(f"earthquake/{event}/initial/").status_code == 404  # never pushed as ours
    after = volume_digest(production.old["volumes"]["shakemaps-extracted-data"])
    before = {path: sha for path, sha in production.old["extracted_digest"].items() if path.startswith(f"./{event}/")}
    assert {path: sha for path, sha in after.items() if path.startswith(f"./{event}/")} == before
    assert len(before) == 4
    grids = volume_digest(production.old["volumes"]["shakemaps-bmkg-data"])
    assert f"./{event}/output/grid.xml" in grids  # the old grid is still where BMKG put it


def test_the_old_ssh_files_are_untouched(production):
    production.wait_healthy(services=("sftp",))
    assert volume_digest(production.old["volumes"]["sftp-ssh-config-data"]) == production.old["etc_ssh_digest"]


def test_every_container_with_a_health_check_becomes_healthy(production):
    """Under the catalog's defaults too: web's check asks 127.0.0.1, not in WEB_HOSTNAMES; beat pings its node."""
    def verdicts():  # every check has answered (redis has none: its state is 'running')
        states = {n: s for n, s in production.health().items() if "_redis_" not in n}
        return states if "starting" not in states.values() else None

    states = wait_until(verdicts, 180, interval=1, what="a health verdict for every container")
    assert set(states.values()) == {"healthy"}, states
