"""services/sync: real syncthing processes on loopback, started through the project's entrypoint.

Three nodes share the folder `shakemaps`: A is the origin (sendonly), B a replica (receiveonly) and C a
replica in STANDBY_MODE. Discovery and relays are off; peers know each other's static addresses.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import GRID_INITIAL, REPO
from servers import free_port, stop, wait_for_port, wait_until

pytestmark = pytest.mark.slow

SYNC = REPO / "services" / "sync"
ENTRYPOINT = SYNC / "entrypoint.py"
FOLDER = "shakemaps"
EVENT = "20180220163351"
# What python3-minimal (the image's only Python) ships and the entrypoint may import.
PYTHON3_MINIMAL = {"__future__", "base64", "os", "re", "socket", "subprocess", "sys", "pathlib", "typing",
                   "argparse", "hashlib", "time", "signal", "stat", "string", "struct", "enum", "collections"}

if shutil.which("syncthing") is None:
    pytest.skip("syncthing is not installed (make test installs it)", allow_module_level=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entrypoint(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ENTRYPOINT), *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def device_id(home: Path) -> str:
    done = entrypoint({"SYNC_HOME": str(home)}, "--print-device-id")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class Node:
    """One replicator: its SYNC_HOME, folder, ports, id and (once started) its syncthing process."""

    def __init__(self, root: Path, name: str, folder_type: str, **extra: str):
        self.name, self.home, self.folder = name, root / name / "home", root / name / "data"
        self.listen_port, self.gui_port = free_port(), free_port()
        self.id = device_id(self.home)
        self.env = {
            "SYNC_HOME": str(self.home), "SYNC_DEVICE_NAME": name, "SYNC_FOLDER_ID": FOLDER,
            "SYNC_FOLDER_LABEL": "BMKG shakemaps", "SYNC_FOLDER_PATH": str(self.folder),
            "SYNC_FOLDER_TYPE": folder_type, "SYNC_LISTEN": f"tcp://127.0.0.1:{self.listen_port}",
            "SYNC_GUI_ADDRESS": f"127.0.0.1:{self.gui_port}", "SYNC_DISCOVERY": "false", "SYNC_RELAYS": "false",
            "SYNC_RESCAN_SECONDS": "3600", **extra,
        }
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{self.id}@tcp://127.0.0.1:{self.listen_port}"

    def start(self, *peers: Node) -> None:
        self.env["SYNC_PEERS"] = ",".join(peer.address for peer in peers)
        self.log = (self.home.parent / "syncthing.log").open("w")
        self.process = subprocess.Popen([sys.executable, str(ENTRYPOINT)], env={**os.environ, **self.env},
                                        stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def api_key(self) -> str:
        return re.search(r"<apikey>([^<]+)</apikey>", (self.home / "config.xml").read_text()).group(1)

    def rest(self, method: str, path: str, **params: str) -> dict:
        reply = requests.request(method, f"http://127.0.0.1:{self.gui_port}/rest/{path}", params=params,
                                 headers={"X-API-Key": self.api_key}, timeout=10)
        reply.raise_for_status()
        return reply.json() if reply.content else {}

    def connected(self, other: Node) -> bool:
        return self.rest("GET", "system/connections")["connections"].get(other.id, {}).get("connected", False)

    def status(self) -> dict:
        return self.rest("GET", "db/status", folder=FOLDER)

    def scan(self) -> None:
        self.rest("POST", "db/scan", folder=FOLDER)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    root = tmp_path_factory.mktemp("sync")
    a = Node(root, "origin", "sendonly", SYNC_API_KEY="origin-api-key-0123456789")
    b = Node(root, "replica", "receiveonly")
    c = Node(root, "standby", "receiveonly", STANDBY_MODE="true")
    try:
        a.start(b, c)
        b.start(a)
        c.start(a)
        for node in (a, b, c):
            wait_for_port(node.gui_port, node.process)
        wait_until(lambda: a.connected(b) and a.connected(c), 30, what="origin connected to both replicas")
        yield a, b, c
    finally:
        for node in (a, b, c):
            if node.process is not None:
                stop(node.process)
                node.log.close()


@pytest.fixture(scope="module")
def replicated(nodes, fixtures):
    """A ShakeMap written on the origin, scanned, and waited for on the replica; returns (source, replica copy)."""
    a, b, _ = nodes
    source = a.folder / EVENT / "grid.xml"
    source.parent.mkdir(parents=True)
    shutil.copyfile(GRID_INITIAL, source)
    a.scan()
    copy = b.folder / EVENT / "grid.xml"
    wait_until(lambda: copy.is_file() and sha256(copy) == sha256(source), 30, what="grid.xml on the replica")
    return source, copy


def test_origin_replicates_a_shakemap_to_the_replica(nodes, replicated):
    a, b, _ = nodes
    source, copy = replicated
    assert sha256(copy) == sha256(GRID_INITIAL)
    wait_until(lambda: a.rest("GET", "db/completion", folder=FOLDER, device=b.id)["completion"] == 100, 10, what="replica complete")
    assert not list(b.folder.rglob(".syncthing.*.tmp"))
    assert b.status()["state"] == "idle" and b.status()["localFiles"] == 1


def test_files_written_on_a_replica_do_not_flow_back(nodes, replicated):
    a, b, _ = nodes
    stray = b.folder / "written-on-replica.txt"
    stray.write_text("local change on a receive-only replica\n")
    b.scan()
    wait_until(lambda: b.status().get("receiveOnlyChangedFiles", 0) >= 1, 10, what="replica noticed its local change")
    time.sleep(3)
    assert not (a.folder / stray.name).exists()
    status = a.status()
    assert status["needTotalItems"] == 0 and status["globalFiles"] == 1, status


def test_standby_node_stays_up_but_syncs_nothing(nodes, replicated):
    a, _, c = nodes
    assert c.process.poll() is None and a.connected(c)
    assert entrypoint(c.env, "--health").returncode == 0
    assert c.rest("GET", "config/folders/" + FOLDER)["paused"] is True
    assert not c.folder.exists() or not any(c.folder.iterdir())  # at most an empty directory: no marker, no files
    status = c.status()  # a paused folder exchanges no index: C does not even know the origin's files
    assert status["globalTotalItems"] == 0 and status["localTotalItems"] == 0, status


def test_health_follows_the_gui(nodes, tmp_path):
    a, _, _ = nodes
    assert entrypoint(a.env, "--health").returncode == 0
    assert entrypoint({"SYNC_HOME": str(tmp_path)}, "--health").returncode == 1  # no config, nothing listening


def check_env(root: Path, **extra: str) -> dict[str, str]:
    peer = device_id(root / "peer-home")
    return {"SYNC_HOME": str(root / "home"), "SYNC_FOLDER_ID": "shakemaps-corrected",
            "SYNC_FOLDER_PATH": str(root / "data"), "SYNC_FOLDER_TYPE": "receiveonly",
            "SYNC_PEERS": f"{peer}@tcp://origin.example.org:22000,{peer}@quic://origin.example.org:22000",
            **extra}


def test_check_writes_and_summarises_the_config(tmp_path):
    env = check_env(tmp_path)
    first = entrypoint(env, "--check")
    assert first.returncode == 0, first.stderr
    config = (tmp_path / "home" / "config.xml").read_text()
    own_id = device_id(tmp_path / "home")
    assert f"device id:  {own_id}" in first.stdout
    assert "shakemaps-corrected (shakemaps-corrected) receiveonly" in first.stdout
    assert "does not exist yet" in first.stderr  # a warning only: syncthing creates a new folder itself
    for setting in ("<urAccepted>-1</urAccepted>", "<autoUpgradeIntervalH>0</autoUpgradeIntervalH>",
                    "<crashReportingEnabled>false</crashReportingEnabled>", "<startBrowser>false</startBrowser>",
                    "<globalAnnounceEnabled>false</globalAnnounceEnabled>", "<relaysEnabled>false</relaysEnabled>",
                    "<listenAddress>tcp://0.0.0.0:22000</listenAddress>", "<address>127.0.0.1:8384</address>",
                    "<address>tcp://origin.example.org:22000</address>",
                    "<address>quic://origin.example.org:22000</address>", "<paused>false</paused>",
                    'type="receiveonly" rescanIntervalS="60"'):
        assert setting in config
    api_key = re.search(r"<apikey>([^<]+)</apikey>", config).group(1)

    again = entrypoint({**env, "STANDBY_MODE": "true", "SYNC_DISCOVERY": "true"}, "--check")
    assert again.returncode == 0, again.stderr
    config = (tmp_path / "home" / "config.xml").read_text()
    assert device_id(tmp_path / "home") == own_id and f"<apikey>{api_key}</apikey>" in config
    assert "PAUSED (standby)" in again.stdout
    assert "<paused>true</paused>" in config and "<globalAnnounceEnabled>true</globalAnnounceEnabled>" in config


@pytest.mark.parametrize(("extra", "message"), [
    ({"SYNC_FOLDER_TYPE": "readonly"}, "SYNC_FOLDER_TYPE='readonly': use one of sendonly, receiveonly, sendreceive"),
    ({"SYNC_FOLDER_ID": ""}, "SYNC_FOLDER_ID is not set"),
    ({"SYNC_PEERS": "NMOBNC3-WPGBAUC-N3UOABA-55TUPFU-GI3ZVB5-R3C2AR3-W6HCKJ6-LROCDQM@dynamic"}, "check characters"),
    ({"SYNC_PEERS": "not-an-id@dynamic"}, "is not a device id"),
    ({"SYNC_LISTEN": "0.0.0.0:22000"}, "SYNC_LISTEN: '0.0.0.0:22000' is not an address"),
    ({"STANDBY_MODE": "maybe"}, "STANDBY_MODE='maybe': use true or false"),
    ({"SYNC_GUI_USER": "admin"}, "SYNC_GUI_USER and SYNC_GUI_PASSWORD go together"),
])
def test_check_rejects_settings_that_cannot_work(tmp_path, extra, message):
    done = entrypoint(check_env(tmp_path, **extra), "--check")
    assert done.returncode == 2
    assert message in done.stderr


def test_check_rejects_its_own_id_as_a_peer(tmp_path):
    own = device_id(tmp_path / "home")
    done = entrypoint(check_env(tmp_path, SYNC_PEERS=f"{own}@dynamic"), "--check")
    assert done.returncode == 2 and "own device id" in done.stderr


def test_gui_password_is_stored_as_a_bcrypt_hash(tmp_path):
    done = entrypoint(check_env(tmp_path, SYNC_GUI_USER="admin", SYNC_GUI_PASSWORD="s3cret pass"), "--check")
    assert done.returncode == 0, done.stderr
    config = (tmp_path / "home" / "config.xml").read_text()
    assert "<user>admin</user>" in config and "s3cret" not in config
    assert re.search(r"<password>\$2[aby]\$\d\d\$.{53}</password>", config)


def test_entrypoint_imports_only_python3_minimal():
    tree = ast.parse(ENTRYPOINT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= PYTHON3_MINIMAL, imported - PYTHON3_MINIMAL


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run([str(hadolint), str(SYNC / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
