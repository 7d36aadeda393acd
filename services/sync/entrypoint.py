#!/usr/bin/env python3
"""Syncthing volume replicator: writes config.xml from the environment, then runs `syncthing serve`.

    entrypoint.py                    write the config, then run syncthing (the container's main process)
    entrypoint.py --check            write the config, validate it, print a summary; exit 0 or 2
    entrypoint.py --print-device-id  print this node's device id (generates the key pair on first use)
    entrypoint.py --health           exit 0 when the GUI answers /rest/system/ping (the Docker HEALTHCHECK)

With SYNC_HOME alone (identity, config and index in one folder) this process execs syncthing. With a separate
SYNC_CONFIG_DIR (identity and config, possibly on NFS shared by several hosts) it stays as syncthing's parent: it
holds identity_lock's heartbeat lock on that folder, so two replicators never run with one identity.

The environment variables are documented in README.md next to this file. The image ships only
python3-minimal, so this script uses nothing outside it (no json, xml, http, dataclasses or shutil).
"""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from identity_lock import MISSED_BEATS, IdentityLock, LockHeld, LockLost, describe

SYNCTHING = "syncthing"
FOLDER_TYPES = ("sendonly", "receiveonly", "sendreceive")
ADDRESS = re.compile(r"^(tcp|tcp4|tcp6|quic|quic4|quic6)://(\[[0-9a-fA-F:.]+\]|[^\s/:@\[\]]+):(\d{1,5})$")
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CONFIG_VERSION = "36"  # what syncthing 1.19 writes; an existing config.xml's version wins
MARKER = ".stfolder"


class ConfigError(Exception):
    """A setting that cannot work; the message names the variable and what to do."""


class Peer(NamedTuple):
    device_id: str
    name: str
    addresses: tuple[str, ...]


class Dirs(NamedTuple):
    """Where syncthing keeps its identity and config.xml (`config`) and its index database (`data`)."""
    config: Path
    data: Path

    @property
    def split(self) -> bool:
        return self.config != self.data

    def serve_args(self) -> list[str]:
        """syncthing 1.19's `serve` takes --home, or both --config and --data (it refuses one alone)."""
        return [f"--config={self.config}", f"--data={self.data}"] if self.split else [f"--home={self.config}"]

    def generate_args(self) -> list[str]:
        """`generate` writes only the config folder; it has no --data."""
        return [f"--config={self.config}"] if self.split else [f"--home={self.config}"]


class Settings(NamedTuple):
    dirs: Dirs
    lock_interval: int
    device_name: str
    folder_id: str
    folder_label: str
    folder_path: Path
    folder_type: str
    peers: tuple[Peer, ...]
    listen: tuple[str, ...]
    discovery: bool
    relays: bool
    gui_address: str
    api_key: str | None
    gui_user: str | None
    gui_password: str | None
    rescan_seconds: int
    standby: bool


# --- reading the environment ---------------------------------------------------------------------

def env_bool(env: dict[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={env[name]!r}: use true or false")


def luhn_base32(chunk: str) -> str:
    """Syncthing's check character for 13 base32 characters (lib/protocol/luhn.go)."""
    factor, total = 1, 0
    for char in chunk:
        addend = factor * BASE32.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return BASE32[(32 - total % 32) % 32]


def canonical_device_id(text: str, where: str) -> str:
    """`XXXXXXX-XXXXXXX-...` (8 groups of 7), with its four check characters verified."""
    raw = re.sub(r"[\s-]", "", text).upper()
    if len(raw) != 56 or any(c not in BASE32 for c in raw):
        raise ConfigError(f"{where}: {text!r} is not a device id (8 groups of 7 letters A-Z and digits 2-7, "
                          "as printed by `entrypoint.py --print-device-id` on that node)")
    for start in range(0, 56, 14):
        if luhn_base32(raw[start:start + 13]) != raw[start + 13]:
            raise ConfigError(f"{where}: device id {text!r} fails its check characters (a typo?)")
    return "-".join(raw[i:i + 7] for i in range(0, 56, 7))


def check_address(address: str, where: str) -> str:
    match = ADDRESS.match(address)
    if not match or not 0 < int(match.group(3)) < 65536:
        raise ConfigError(f"{where}: {address!r} is not an address like tcp://host:22000")
    return address


def parse_peers(text: str) -> tuple[Peer, ...]:
    """`ID@tcp://host:port` or `ID@dynamic`, comma-separated; one id given twice gets both addresses."""
    peers: dict[str, Peer] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        device_text, _, address = item.partition("@")
        device_id = canonical_device_id(device_text, "SYNC_PEERS")
        address = address.strip() or "dynamic"
        if address != "dynamic":
            check_address(address, f"SYNC_PEERS ({device_text.strip()[:7]})")
        host = ADDRESS.match(address).group(2).strip("[]") if address != "dynamic" else device_id[:7]
        known = peers.get(device_id)
        addresses = (known.addresses if known else ()) + (address,)
        peers[device_id] = Peer(device_id, known.name if known else host, addresses)
    return tuple(peers.values())


def read_dirs(env: dict[str, str]) -> Dirs:
    """SYNC_CONFIG_DIR and SYNC_DATA_DIR, each defaulting to SYNC_HOME (so SYNC_HOME alone keeps one folder)."""
    home = env.get("SYNC_HOME", "").strip() or "/var/syncthing"
    dirs = {}
    for name in ("SYNC_CONFIG_DIR", "SYNC_DATA_DIR"):
        value = env.get(name, "").strip()
        if value and not value.startswith("/"):
            raise ConfigError(f"{name}={value!r}: use an absolute path")
        dirs[name] = Path(value or home)
    return Dirs(dirs["SYNC_CONFIG_DIR"], dirs["SYNC_DATA_DIR"])


def read_settings(env: dict[str, str]) -> Settings:
    def required(name: str) -> str:
        value = env.get(name, "").strip()
        if not value:
            raise ConfigError(f"{name} is not set")
        return value

    folder_id = required("SYNC_FOLDER_ID")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", folder_id):
        raise ConfigError(f"SYNC_FOLDER_ID={folder_id!r}: use letters, digits, '.', '_' and '-' only")
    folder_type = required("SYNC_FOLDER_TYPE").lower()
    if folder_type not in FOLDER_TYPES:
        raise ConfigError(f"SYNC_FOLDER_TYPE={folder_type!r}: use one of {', '.join(FOLDER_TYPES)}")
    rescan = env.get("SYNC_RESCAN_SECONDS", "").strip() or "60"
    if not rescan.isdigit():
        raise ConfigError(f"SYNC_RESCAN_SECONDS={rescan!r}: use a whole number of seconds (0 = watcher only)")
    listen = tuple(check_address(a.strip(), "SYNC_LISTEN")
                   for a in (env.get("SYNC_LISTEN", "").strip() or "tcp://0.0.0.0:22000").split(",") if a.strip())
    gui_address = env.get("SYNC_GUI_ADDRESS", "").strip() or "127.0.0.1:8384"
    if not re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+):\d{1,5}", gui_address):
        raise ConfigError(f"SYNC_GUI_ADDRESS={gui_address!r}: use host:port, e.g. 127.0.0.1:8384")
    api_key = env.get("SYNC_API_KEY", "").strip() or None
    if api_key is not None and not re.fullmatch(r"[A-Za-z0-9._~-]{16,}", api_key):
        raise ConfigError("SYNC_API_KEY: use at least 16 characters from A-Z a-z 0-9 . _ ~ -")
    gui_user = env.get("SYNC_GUI_USER", "").strip() or None
    gui_password = env.get("SYNC_GUI_PASSWORD") or None
    if bool(gui_user) != bool(gui_password):
        raise ConfigError("SYNC_GUI_USER and SYNC_GUI_PASSWORD go together: set both or neither")
    lock_interval = env.get("SYNC_LOCK_HEARTBEAT_SECONDS", "").strip() or "10"
    if not lock_interval.isdigit() or int(lock_interval) < 1:
        raise ConfigError(f"SYNC_LOCK_HEARTBEAT_SECONDS={lock_interval!r}: use a whole number of seconds, 1 or more")
    return Settings(
        dirs=read_dirs(env),
        lock_interval=int(lock_interval),
        device_name=env.get("SYNC_DEVICE_NAME", "").strip() or socket.gethostname(),
        folder_id=folder_id,
        folder_label=env.get("SYNC_FOLDER_LABEL", "").strip() or folder_id,
        folder_path=Path(env.get("SYNC_FOLDER_PATH", "").strip() or "/data"),
        folder_type=folder_type,
        peers=parse_peers(env.get("SYNC_PEERS", "")),
        listen=listen,
        discovery=env_bool(env, "SYNC_DISCOVERY", False),
        relays=env_bool(env, "SYNC_RELAYS", False),
        gui_address=gui_address,
        api_key=api_key,
        gui_user=gui_user,
        gui_password=gui_password,
        rescan_seconds=int(rescan),
        standby=env_bool(env, "STANDBY_MODE", False),
    )


# --- the node's identity and state ---------------------------------------------------------------

def run_syncthing(*args: str, stdin: str | None = None) -> str:
    try:
        done = subprocess.run([SYNCTHING, *args], input=stdin, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ConfigError(f"{SYNCTHING!r} is not installed or not on PATH") from None
    if done.returncode != 0:
        raise ConfigError(f"syncthing {args[0]} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}")
    return done.stdout


def ensure_identity(dirs: Dirs) -> str:
    """This node's device id; generates cert.pem and key.pem (once) when the config folder has none."""
    if not ((dirs.config / "cert.pem").is_file() and (dirs.config / "key.pem").is_file()):
        run_syncthing("generate", *dirs.generate_args(), "--no-default-folder", "--skip-port-probing")
    device_id = run_syncthing("serve", *dirs.serve_args(), "--device-id").strip()
    return canonical_device_id(device_id, f"{dirs.config}/cert.pem")


def make_dirs(dirs: Dirs) -> None:
    """Creates a split layout's folders (a replicator's own subfolder of a shared config volume, say)."""
    for name, path in (("SYNC_CONFIG_DIR", dirs.config), ("SYNC_DATA_DIR", dirs.data)):
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"{name}={path}: cannot create it ({error.strerror}); "
                              f"its parent must be writable by uid {os.getuid()}") from None


def existing(config_text: str, pattern: str) -> str | None:
    match = re.search(pattern, config_text)
    return unescape(match.group(1)) if match else None


def hashed_gui_password(settings: Settings) -> str | None:
    """A bcrypt hash for the GUI password: given as one already, or made by `syncthing generate`."""
    if settings.gui_password is None:
        return None
    if re.fullmatch(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}", settings.gui_password):
        return settings.gui_password
    run_syncthing("generate", *settings.dirs.generate_args(), "--no-default-folder", "--skip-port-probing",
                  f"--gui-user={settings.gui_user}", "--gui-password=-", stdin=settings.gui_password)
    text = (settings.dirs.config / "config.xml").read_text()
    return existing(text, r"<password>([^<]+)</password>")


# --- config.xml ------------------------------------------------------------------------------------

ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))


def escape(value: object) -> str:
    text = str(value)
    for char, entity in ENTITIES:
        text = text.replace(char, entity)
    return text


def unescape(text: str) -> str:
    for char, entity in reversed(ENTITIES):
        text = text.replace(entity, char)
    return text


def xml_bool(value: bool) -> str:
    return "true" if value else "false"


def device_xml(device_id: str, name: str, addresses: tuple[str, ...]) -> str:
    lines = [f'    <device id="{device_id}" name="{escape(name)}" compression="metadata" introducer="false"'
             ' skipIntroductionRemovals="false" introducedBy="">']
    lines += [f"        <address>{escape(a)}</address>" for a in addresses]
    lines += ["        <paused>false</paused>", "        <autoAcceptFolders>false</autoAcceptFolders>",
              "    </device>"]
    return "\n".join(lines)


def render_config(settings: Settings, device_id: str, version: str, api_key: str, password: str | None) -> str:
    s = settings
    folder_devices = [device_id, *(p.device_id for p in s.peers)]
    folder = [
        f'    <folder id="{escape(s.folder_id)}" label="{escape(s.folder_label)}" path="{escape(s.folder_path)}"'
        f' type="{s.folder_type}" rescanIntervalS="{s.rescan_seconds}" fsWatcherEnabled="true"'
        ' fsWatcherDelayS="10" ignorePerms="false" autoNormalize="true">',
        "        <filesystemType>basic</filesystemType>",
        *(f'        <device id="{d}" introducedBy=""></device>' for d in folder_devices),
        '        <minDiskFree unit="%">1</minDiskFree>',
        f"        <paused>{xml_bool(s.standby)}</paused>",
        f"        <markerName>{MARKER}</markerName>",
        "    </folder>",
    ]
    gui = ['    <gui enabled="true" tls="false" debugging="false">',
           f"        <address>{escape(s.gui_address)}</address>"]
    if password is not None:
        gui += [f"        <user>{escape(s.gui_user)}</user>", f"        <password>{escape(password)}</password>"]
    gui += [f"        <apikey>{escape(api_key)}</apikey>", "        <theme>default</theme>", "    </gui>"]
    options = {
        "globalAnnounceServer": "default",
        "globalAnnounceEnabled": xml_bool(s.discovery),
        "localAnnounceEnabled": xml_bool(s.discovery),
        "relaysEnabled": xml_bool(s.relays),
        "natEnabled": "false",
        "startBrowser": "false",
        "urAccepted": "-1",
        "autoUpgradeIntervalH": "0",
        "crashReportingEnabled": "false",
        "overwriteRemoteDeviceNamesOnConnect": "false",
    }
    return "\n".join([
        f'<configuration version="{escape(version)}">',
        *folder,
        device_xml(device_id, s.device_name, ("dynamic",)),
        *(device_xml(p.device_id, p.name, p.addresses) for p in s.peers),
        *gui,
        "    <options>",
        *(f"        <listenAddress>{escape(a)}</listenAddress>" for a in s.listen),
        *(f"        <{key}>{value}</{key}>" for key, value in options.items()),
        "    </options>",
        "</configuration>",
        "",
    ])


def write_config(settings: Settings) -> tuple[str, Path]:
    """Writes config.xml from the settings; keeps the key pair, the API key and the config version."""
    device_id = ensure_identity(settings.dirs)
    for peer in settings.peers:
        if peer.device_id == device_id:
            raise ConfigError(f"SYNC_PEERS lists this node's own device id {device_id}")
    config = settings.dirs.config / "config.xml"
    old = config.read_text() if config.is_file() else ""
    version = existing(old, r'<configuration version="(\d+)"') or CONFIG_VERSION
    api_key = (settings.api_key or existing(old, r"<apikey>([^<]+)</apikey>")
               or base64.urlsafe_b64encode(os.urandom(24)).decode())
    password = hashed_gui_password(settings)
    tmp = config.with_name("config.xml.new")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:  # it holds the API key
        out.write(render_config(settings, device_id, version, api_key, password))
    os.replace(tmp, config)
    return device_id, config


def warnings(settings: Settings) -> list[str]:
    """What syncthing would otherwise report only in its log, or not at all. Syncthing itself creates the
    folder and its .stfolder marker for a folder it has never indexed; for a known folder a missing marker
    stops the folder (a volume that is not mounted must not look like every file was deleted)."""
    found = []
    host = settings.gui_address.rpartition(":")[0].strip("[]")
    if settings.gui_user is None and host not in ("127.0.0.1", "::1", "localhost"):
        found.append(f"the GUI on {settings.gui_address} has no password: whoever reaches it controls this node "
                     "(set SYNC_GUI_USER and SYNC_GUI_PASSWORD, or keep SYNC_GUI_ADDRESS on 127.0.0.1)")
    path = settings.folder_path
    if settings.standby:
        return found
    if not settings.peers:
        found.append("SYNC_PEERS is empty: the folder is shared with no one")
    if not path.is_dir():
        return found + [f"SYNC_FOLDER_PATH={path} does not exist yet (fine on a new node; is the volume mounted?)"]
    if not (path / MARKER).exists():
        found.append(f"{path}/{MARKER} is missing: fine on a new node; if this node synced the folder before, "
                     f"syncthing stops it until the volume is mounted (or you run: mkdir {path}/{MARKER})")
    if settings.folder_type != "sendonly" and not os.access(path, os.W_OK | os.X_OK):
        found.append(f"SYNC_FOLDER_PATH={path} is not writable by uid {os.getuid()}")
    return found


# --- commands --------------------------------------------------------------------------------------

def summary(settings: Settings, device_id: str, config: Path) -> str:
    s = settings
    peers = ", ".join(f"{p.device_id[:7]}@{'|'.join(p.addresses)}" for p in s.peers) or "none"
    return "\n".join([
        f"device id:  {device_id}",
        f"config:     {config}",
        f"database:   {s.dirs.data}",
        f"folder:     {s.folder_id} ({s.folder_label}) {s.folder_type} at {s.folder_path}"
        f", rescan {s.rescan_seconds} s{', PAUSED (standby)' if s.standby else ''}",
        f"peers:      {peers}",
        f"listen:     {', '.join(s.listen)}",
        f"gui:        http://{s.gui_address}{' (user ' + s.gui_user + ')' if s.gui_user else ''}",
        f"discovery:  {xml_bool(s.discovery)}, relays: {xml_bool(s.relays)}",
    ])


def gui_health(config_dir: Path, timeout: float = 5.0) -> bool:
    """GET /rest/system/ping with the API key, on the GUI address in config.xml (0.0.0.0 and :: mean loopback).

    Syncthing 1.19 has no /rest/noauth/health (it answers 404; the endpoint came in a later release), so the
    check authenticates with the key this node keeps in its own config.xml."""
    config = config_dir / "config.xml"
    text = config.read_text() if config.is_file() else ""
    address = existing(text, r"<gui[^>]*>\s*<address>([^<]+)</address>") or "127.0.0.1:8384"
    api_key = existing(text, r"<apikey>([^<]+)</apikey>") or ""
    host, _, port = address.rpartition(":")
    host = {"0.0.0.0": "127.0.0.1", "[::]": "::1", "": "127.0.0.1"}.get(host, host).strip("[]")
    request = (f"GET /rest/system/ping HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {api_key}\r\n\r\n")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as conn:
            conn.sendall(request.encode())
            reply = b""
            while chunk := conn.recv(4096):
                reply += chunk
    except OSError:
        return False
    return reply.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")) and b'"pong"' in reply


def take_lock(settings: Settings) -> IdentityLock:
    """The split layout's lock: waits out a dead holder, refuses (one line) while a live replicator holds it."""
    make_dirs(settings.dirs)
    lock = IdentityLock(settings.dirs.config, settings.lock_interval)
    try:
        dead = lock.acquire()
    except LockHeld as held:
        raise ConfigError(f"SYNC_CONFIG_DIR={settings.dirs.config} is in use by {held}: two replicators must not "
                          "share one identity (stop that one, or give this one its own folder)") from None
    except OSError as error:
        raise ConfigError(f"SYNC_CONFIG_DIR={settings.dirs.config}: cannot lock it ({error})") from None
    if dead is not None:
        print(f"sync: took over the lock on {settings.dirs.config} from {describe(dead)}: its heartbeat stopped for "
              f"{MISSED_BEATS} intervals", file=sys.stderr, flush=True)
    return lock


def supervise(command: list[str], lock: IdentityLock) -> int:
    """Runs syncthing as a child (stop signals forwarded) and renews the lock every interval until it exits.

    Stops syncthing when another replicator has taken the lock over, or when the lock could not be renewed for two
    intervals (a contender takes a lock over after MISSED_BEATS)."""
    child = subprocess.Popen(command)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: child.send_signal(received))
    renewed = time.monotonic()
    try:
        while True:
            try:
                code = child.wait(timeout=lock.interval)
                return code if code >= 0 else 128 - code
            except subprocess.TimeoutExpired:
                pass
            try:
                lock.beat()
                renewed = time.monotonic()
                continue
            except LockLost as lost:
                problem = f"lost the lock on {lock.path.parent} to {lost}: stopping syncthing"
            except OSError as error:
                problem = f"cannot renew the lock on {lock.path.parent} ({error})"
                if time.monotonic() - renewed < 2 * lock.interval:
                    print(f"sync: warning: {problem}", file=sys.stderr, flush=True)
                    continue
                problem += f" for {2 * lock.interval} s: stopping syncthing"
            print(f"sync: error: {problem}", file=sys.stderr, flush=True)
            child.terminate()
            child.wait()
            return 2
    finally:
        lock.release()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    lock = None
    try:
        dirs = read_dirs(dict(os.environ))
        if command == "--health":
            return 0 if gui_health(dirs.config) else 1
        if command == "--print-device-id":
            print(ensure_identity(dirs))
            return 0
        if command not in ("", "--check"):
            print(__doc__, file=sys.stderr)
            return 2
        settings = read_settings(dict(os.environ))
        if settings.dirs.split and not command:
            lock = take_lock(settings)
        device_id, config = write_config(settings)
    except ConfigError as error:
        if lock is not None:
            lock.release()
        print(f"sync: error: {error}", file=sys.stderr)
        return 2
    print(summary(settings, device_id, config), file=sys.stdout if command else sys.stderr, flush=True)
    for warning in warnings(settings):
        print(f"sync: warning: {warning}", file=sys.stderr, flush=True)
    if command == "--check":
        return 0
    serve = [SYNCTHING, "serve", *settings.dirs.serve_args(), "--no-browser", "--no-restart", "--no-upgrade"]
    if lock is None:
        os.execvp(SYNCTHING, serve)
    return supervise(serve, lock)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
