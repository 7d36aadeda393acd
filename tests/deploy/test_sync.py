"""services/sync: real syncthing processes on loopback, started through the project's entrypoint.

Three nodes share the folder `shakemaps`: A is the origin (sendonly), B a replica (receiveonly) and C a
replica in STANDBY_MODE. Discovery and relays are off; peers know each other's static addresses.
Further nodes run the split layout (SYNC_CONFIG_DIR apart from SYNC_DATA_DIR) and its lock, alone.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
import signal
import socket
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
LOCAL_MODULES = {path.stem for path in SYNC.glob("*.py")}  # copied next to the entrypoint in the image
DATABASE = "index-v0.14.0.db"  # syncthing 1.19's index database, a folder
IDENTITY = ("cert.pem", "key.pem", "config.xml")

if shutil.which("syncthing") is None:
    pytest.skip("syncthing is not installed (make test installs it)", allow_module_level=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entrypoint(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ENTRYPOINT), *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def print_device_id(env: dict[str, str]) -> str:
    done = entrypoint(env, "--print-device-id")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def device_id(home: Path) -> str:
    return print_device_id({"SYNC_HOME": str(home)})


class Node:
    """One replicator: its SYNC_HOME (or split folders), folder, ports, id and (once started) its process."""

    def __init__(self, root: Path, name: str, folder_type: str, **extra: str):
        self.name, self.home, self.folder = name, root / name / "home", root / name / "data"
        self.listen_port, self.gui_port = free_port(), free_port()
        self.env = {
            "SYNC_HOME": str(self.home), "SYNC_DEVICE_NAME": name, "SYNC_FOLDER_ID": FOLDER,
            "SYNC_FOLDER_LABEL": "BMKG shakemaps", "SYNC_FOLDER_PATH": str(self.folder),
            "SYNC_FOLDER_TYPE": folder_type, "SYNC_LISTEN": f"tcp://127.0.0.1:{self.listen_port}",
            "SYNC_GUI_ADDRESS": f"127.0.0.1:{self.gui_port}", "SYNC_DISCOVERY": "false", "SYNC_RELAYS": "false",
            "SYNC_RESCAN_SECONDS": "3600", **extra,
        }
        self.config_dir = Path(self.env.get("SYNC_CONFIG_DIR") or self.home)
        self.lock = self.config_dir / "replicator.lock"
        self.id = print_device_id(self.env)
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{self.id}@tcp://127.0.0.1:{self.listen_port}"

    def start(self, *peers: Node) -> None:
        self.env["SYNC_PEERS"] = ",".join(peer.address for peer in peers)
        self.log_path = self.home.parent / "syncthing.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen([sys.executable, str(ENTRYPOINT)], env={**os.environ, **self.env},
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.log.close()

    @property
    def api_key(self) -> str:
        return re.search(r"<apikey>([^<]+)</apikey>", (self.config_dir / "config.xml").read_text()).group(1)

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
        # The replicas dial a listening origin at their start; else both sides' first dials can fail under load, and
        # syncthing redials only after its reconnect interval (60 s).
        wait_for_port(a.listen_port, a.process)
        b.start(a)
        c.start(a)
        for node in (a, b, c):
            wait_for_port(node.gui_port, node.process)
        wait_until(lambda: a.connected(b) and a.connected(c), 30, what="origin connected to both replicas")
        yield a, b, c
    finally:
        for node in (a, b, c):
            node.stop()


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


def test_sync_home_alone_keeps_everything_in_one_folder(nodes):
    a, _, _ = nodes
    assert all((a.home / name).is_file() for name in IDENTITY) and (a.home / DATABASE).is_dir()
    assert not a.lock.exists()
    cmdline = Path(f"/proc/{a.process.pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[:3] == [b"syncthing", b"serve", f"--home={a.home}".encode()]  # exec'd: no parent left behind


# --- the split layout: identity and config (shared, NFS in production) apart from the index database (local) -------

def split_node(root: Path, name: str, config: Path | None = None) -> Node:
    """A replicator with its own subfolder of a shared config folder and a local data folder. SYNC_HOME stays set,
    as the image always sets it, and must go unused."""
    return Node(root, name, "sendonly", SYNC_CONFIG_DIR=str(config or root / "shared-config" / name),
                SYNC_DATA_DIR=str(root / name / "db"), SYNC_LOCK_HEARTBEAT_SECONDS="1")


def running_id(node: Node) -> str:
    """The device id the running syncthing reports (not what the entrypoint printed)."""
    wait_for_port(node.gui_port, node.process, timeout=60)
    return node.rest("GET", "system/status")["myID"]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def kill_session(session: int) -> None:
    """SIGKILL every process of a session, as a host's death would (syncthing runs its worker in a process group of
    its own, so killpg would leave that running)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()  # state, ppid, pgrp, session, ...
            if int(fields[3]) == session:
                os.kill(int(stat.parent.name), signal.SIGKILL)
        except (OSError, IndexError):
            pass  # gone already


def test_split_identity_survives_a_wiped_data_folder(tmp_path):
    node = split_node(tmp_path, "origin")
    config, data = node.config_dir, Path(node.env["SYNC_DATA_DIR"])
    data.mkdir(parents=True)  # the first start gets an empty data folder, as the image's /var/syncthing-data
    for start in ("empty data folder", "data folder wiped"):
        node.start()
        try:
            assert running_id(node) == node.id, start
            assert entrypoint(node.env, "--health").returncode == 0
            assert f"pid={node.process.pid} " in node.lock.read_text()
        finally:
            node.stop()
        assert (data / DATABASE).is_dir() and not (config / DATABASE).exists(), start
        assert all((config / name).is_file() for name in IDENTITY), start
        assert not node.lock.exists(), start  # a clean stop releases the lock
        shutil.rmtree(data)  # the container is recreated, maybe on another host: its data folder is gone
    assert not node.home.exists()


def test_a_second_replicator_on_one_config_folder_is_refused(tmp_path):
    holder = split_node(tmp_path, "origin")
    holder.start()
    try:
        running_id(holder)
        other_db, listen, gui = tmp_path / "elsewhere" / "db", free_port(), free_port()
        done = entrypoint({**holder.env, "SYNC_DATA_DIR": str(other_db), "SYNC_LISTEN": f"tcp://127.0.0.1:{listen}",
                           "SYNC_GUI_ADDRESS": f"127.0.0.1:{gui}"})  # another host's, given the same config subfolder
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("sync: error: SYNC_CONFIG_DIR="), done.stderr
        assert f"is in use by host {socket.gethostname()} pid {holder.process.pid} " in done.stderr
        assert not (other_db / DATABASE).exists()
        assert holder.process.poll() is None and running_id(holder) == holder.id
    finally:
        holder.stop()


def test_a_dead_replicators_lock_is_taken_over(tmp_path):
    dead = split_node(tmp_path, "origin")
    dead.start()
    try:
        running_id(dead)
    finally:
        kill_session(dead.process.pid)  # its host died: no clean stop, the lock stays behind
        dead.process.wait()
        dead.log.close()
    wait_until(lambda: not listening(dead.gui_port), 10, what="the dead replicator's syncthing gone")
    assert f"pid={dead.process.pid} " in dead.lock.read_text()
    successor = split_node(tmp_path, "successor", config=dead.config_dir)
    successor.start()
    try:
        assert running_id(successor) == dead.id
        assert f"pid={successor.process.pid} " in successor.lock.read_text()
    finally:
        successor.stop()
    assert f"took over the lock on {dead.config_dir} from host " in successor.log_path.read_text()


def test_a_replicator_whose_lock_was_taken_over_stops(tmp_path):
    node = split_node(tmp_path, "origin")
    node.start()
    try:
        running_id(node)
        foreign = "host=elsewhere pid=7 token=0123abcd interval=1 beat=0 at=2026-01-01T00:00:00Z\n"
        staged = node.lock.with_name("staged")
        staged.write_text(foreign)
        staged.replace(node.lock)  # what a contender writes when it judged this holder dead (a frozen VM, say)
        assert node.process.wait(timeout=30) == 2
    finally:
        node.stop()
    assert "sync: error: lost the lock on " in node.log_path.read_text()
    assert "to host elsewhere pid 7 " in node.log_path.read_text()
    assert node.lock.read_text() == foreign  # the new holder's line is left alone
    wait_until(lambda: not listening(node.gui_port), 10, what="syncthing stopped")


def test_config_dir_alone_keeps_the_database_in_sync_home(tmp_path):
    env = check_env(tmp_path, SYNC_CONFIG_DIR=str(tmp_path / "config"))
    done = entrypoint(env, "--check")
    assert done.returncode == 0, done.stderr
    assert f"config:     {tmp_path}/config/config.xml\ndatabase:   {tmp_path}/home\n" in done.stdout
    assert all((tmp_path / "config" / name).is_file() for name in IDENTITY)
    assert not (tmp_path / "home" / "cert.pem").exists()
    assert f"device id:  {print_device_id(env)}" in done.stdout


def test_split_layout_names_a_config_folder_it_cannot_create(tmp_path):
    (tmp_path / "volume").write_text("a file where the config volume should be\n")
    done = entrypoint(check_env(tmp_path, SYNC_CONFIG_DIR=str(tmp_path / "volume" / "sync-a"),
                                SYNC_DATA_DIR=str(tmp_path / "db")))
    assert done.returncode == 2
    assert done.stderr == (f"sync: error: SYNC_CONFIG_DIR={tmp_path}/volume/sync-a: cannot create it "
                           f"(Not a directory); its parent must be writable by uid {os.getuid()}\n")


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
    ({"SYNC_CONFIG_DIR": "config/sync-a"}, "SYNC_CONFIG_DIR='config/sync-a': use an absolute path"),
    ({"SYNC_DATA_DIR": "db"}, "SYNC_DATA_DIR='db': use an absolute path"),
    ({"SYNC_LOCK_HEARTBEAT_SECONDS": "0"}, "SYNC_LOCK_HEARTBEAT_SECONDS='0': use a whole number of seconds, 1 or more"),
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
    copied = re.search(r"^COPY (.+) /usr/local/lib/realtime-sync/$", (SYNC / "Dockerfile").read_text(), re.M)
    assert copied and set(copied.group(1).split()) == {f"{name}.py" for name in LOCAL_MODULES}
    for path in SYNC.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert imported <= PYTHON3_MINIMAL | LOCAL_MODULES, (path.name, imported - PYTHON3_MINIMAL - LOCAL_MODULES)


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run([str(hadolint), str(SYNC / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
