"""What tests/deploy/test_sftp.py drives the SFTP receiver with: the real sshd, run on the project's own files.

The production sshd_config is rewritten directive by directive (`adapt`), never copied; BMKG's side is
paramiko (host key pinned, RejectPolicy) and OpenSSH's `ssh`/`rsync -e ssh`. The root-only parts build the
production chroot with build-chroot.sh (`production_layout`) and run entrypoint.sh on it (`Entrypoint`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import pytest

from servers import free_port, stop, wait_for_port

paramiko = pytest.importorskip("paramiko")

REPO = Path(__file__).resolve().parents[2]
SFTP = REPO / "services" / "sftp"
SSHD = "/usr/sbin/sshd"  # sshd re-executes itself and insists on an absolute path
REFUSAL = "InaSAFE Realtime accepts SFTP and rsync uploads only."
INITIAL_ID, PAPUA_ID = "20180220163351", "20131105060809"
IS_ROOT = os.geteuid() == 0
HOME = "/home/realtime"  # the upload account's home inside the chroot, as in the old stack
UPLOAD_DIRS = ("shakemaps", "shakemaps-corrected")


def production_directive(keyword: str) -> str:
    """The value of a directive of the production sshd_config."""
    for line in (SFTP / "sshd_config").read_text().splitlines():
        words = line.split(maxsplit=1)
        if words and words[0] == keyword:
            return words[1]
    raise AssertionError(f"{keyword} is not in services/sftp/sshd_config")


def adapt(changes: dict[str, str | list[str] | None], prepend: tuple[str, ...] = ()) -> str:
    """The production sshd_config with some directives replaced (a list: several lines, None: dropped).

    Every replaced directive must exist in the production file, so the test follows it rather than a copy.
    """
    out, seen = list(prepend), set()
    for line in (SFTP / "sshd_config").read_text().splitlines():
        words = line.split(maxsplit=1)
        keyword = words[0] if words and not words[0].startswith("#") else None
        if keyword in changes:
            if keyword not in seen:
                values = changes[keyword]
                out += [f"{keyword} {value}" for value in ([values] if isinstance(values, str) else values or [])]
                seen.add(keyword)
            continue
        out.append(line)
    assert seen == set(changes), f"not in services/sftp/sshd_config: {set(changes) - seen}"
    return "\n".join(out) + "\n"


def keygen(path: Path, comment: str, kind: str = "ed25519", *options: str) -> str:
    """A key pair made by ssh-keygen; returns the public line."""
    subprocess.run(["ssh-keygen", "-q", "-t", kind, *options, "-N", "", "-C", comment, "-f", str(path)], check=True)
    return path.with_name(path.name + ".pub").read_text().strip()


def fingerprint(public_key: Path) -> str:
    """SHA256:... as OpenSSH prints it."""
    listed = subprocess.run(["ssh-keygen", "-l", "-f", str(public_key)], capture_output=True, text=True, check=True)
    return listed.stdout.split()[1]


def known_hosts_line(port: int, public_key: Path) -> str:
    return f"[127.0.0.1]:{port} {' '.join(public_key.read_text().split()[:2])}\n"


def sshd_check(config: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([SSHD, *flags, "-f", str(config)], capture_output=True, text=True, timeout=30)


def start_sshd(config: Path, port: int, log: Path) -> subprocess.Popen:
    checked = sshd_check(config, "-t")
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=log.open("w"))
    try:
        wait_for_port(port, process, timeout=10)
    except Exception:
        stop(process)
        raise RuntimeError(log.read_text())
    return process


def upload_tree(root: Path) -> Path:
    """`root` laid out like the chroot's upload side (what build-chroot.sh makes); returns the home in it."""
    home = root / HOME.lstrip("/")
    for folder in UPLOAD_DIRS:
        (home / folder).mkdir(parents=True)
        (root / folder).symlink_to(f"{HOME.lstrip('/')}/{folder}")
    return home


def ssh_command(server: SimpleNamespace) -> list[str]:
    """BMKG's OpenSSH client: our key only, the pinned host key only, never a prompt."""
    return ["ssh", "-F", "/dev/null", "-p", str(server.port), "-i", str(server.client_key),
            "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={server.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"]


def sftp_client(server: SimpleNamespace, client_key: Path | None = None):
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect("127.0.0.1", server.port, username=server.user, key_filename=str(client_key or server.client_key),
                   look_for_keys=False, allow_agent=False, timeout=10)
    return client


def sftp_upload(server: SimpleNamespace, grid: Path, event_id: str, under: str = "shakemaps",
                output: bool = True) -> None:
    """What BMKG should do over SFTP: make the folders, upload under a temp name, rename into place."""
    client = sftp_client(server)
    try:
        sftp = client.open_sftp()
        folder = f"{under}/{event_id}"
        sftp.mkdir(folder)
        if output:
            folder += "/output"
            sftp.mkdir(folder)
        sftp.put(str(grid), f"{folder}/grid.xml.part")
        sftp.posix_rename(f"{folder}/grid.xml.part", f"{folder}/grid.xml")
        assert sftp.listdir(folder) == ["grid.xml"]
    finally:
        client.close()


def rsync_upload(server: SimpleNamespace, grid: Path, event_id: str, staging: Path,
                 destination: str = "shakemaps/") -> subprocess.CompletedProcess:
    """What BMKG should do with rsync: push the event folder; rsync writes .grid.xml.XXXXXX, then renames."""
    (staging / event_id).mkdir(parents=True)
    shutil.copyfile(grid, staging / event_id / "grid.xml")
    return subprocess.run(["rsync", "-rt", "-e", " ".join(ssh_command(server)), str(staging / event_id),
                           f"{server.user}@127.0.0.1:{destination}"], capture_output=True, text=True, timeout=60)


def write_server_files(server: SimpleNamespace, config_text: str) -> None:
    server.config.write_text(config_text)
    server.known_hosts.write_text(f"[127.0.0.1]:{server.port} {server.host_public_key}\n")


# --- the production layout: chroot, StrictModes, a non-root user (root only) ----------------------

@contextmanager
def production_layout() -> Iterator[SimpleNamespace]:
    """Root only: a folder under /run with chroot/ (filled by build-chroot.sh) and etc/authorized_keys/,
    and a throwaway user with /bin/sh, a "*" password and the production home; both removed afterwards."""
    if not IS_ROOT:
        pytest.skip("sshd can chroot (and create a throwaway user) only as root")
    base = Path(tempfile.mkdtemp(prefix="inasafe-sftp-test-", dir="/run"))
    user = f"sftptest{uuid.uuid4().hex[:8]}"
    try:
        os.chmod(base, 0o755)
        for component in [*reversed(base.parents), base]:  # sshd's rule for every ChrootDirectory component
            info = component.stat()
            if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                pytest.skip(f"{component} is not root-owned and closed; sshd would refuse a chroot below it")
        subprocess.run(["useradd", "--no-create-home", "--home-dir", HOME, "--shell", "/bin/sh", "--user-group",
                        "--password", "*", user], check=True, capture_output=True)
        chroot, etc = base / "chroot", base / "etc"
        built = subprocess.run(["/bin/sh", str(SFTP / "build-chroot.sh"), str(chroot), str(SFTP / "dispatch.sh"), HOME],
                               capture_output=True, text=True, timeout=120)
        assert built.returncode == 0, built.stderr
        (etc / "authorized_keys").mkdir(parents=True)
        os.chmod(etc, 0o755)
        yield SimpleNamespace(base=base, user=user, chroot=chroot, etc=etc, home=chroot / HOME.lstrip("/"))
    finally:
        subprocess.run(["userdel", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def production_changes(port: int, user: str, etc: Path, chroot: Path, authorized_keys: Path) -> dict:
    """Only ports, paths and AllowUsers differ from the production sshd_config."""
    return {
        "Port": str(port),
        "PidFile": str(etc / "sshd.pid"),
        "AllowUsers": user,
        "AuthorizedKeysFile": production_directive("AuthorizedKeysFile").replace("/etc/ssh/authorized_keys",
                                                                                 str(authorized_keys)),
        "ChrootDirectory": str(chroot),
    }


class Entrypoint:
    """services/sftp/entrypoint.sh as a plain process on a production layout, its paths and user overridden by
    SFTP_* variables, the host keys and authorized keys folders given (volumes in the image)."""

    def __init__(self, layout: SimpleNamespace, host_keys: Path, authorized_keys: Path) -> None:
        self.port, self.user = free_port(), layout.user
        account = pwd.getpwnam(layout.user)
        config = layout.etc / "sshd_config"
        config.write_text(adapt(production_changes(self.port, layout.user, layout.etc, layout.chroot, authorized_keys),
                                prepend=("ListenAddress 127.0.0.1",)))
        self.env = {**os.environ, "SFTP_USER": layout.user, "SFTP_UID": str(account.pw_uid),
                    "SFTP_GID": str(account.pw_gid), "SFTP_SSHD_CONFIG": str(config), "SFTP_HOST_KEYS": str(host_keys),
                    "SFTP_AUTHORIZED_KEYS_DIR": str(authorized_keys), "SFTP_CHROOT": str(layout.chroot),
                    "SFTP_RSA_BITS": "2048"}
        self.command = ["sh", str(SFTP / "entrypoint.sh")]

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run([*self.command, "--check"], env=self.env, capture_output=True, text=True, timeout=60)

    @contextmanager
    def running(self, log: Path) -> Iterator[subprocess.Popen]:
        process = subprocess.Popen(self.command, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=log.open("w"))
        try:
            try:
                wait_for_port(self.port, process, timeout=60)
            except Exception:
                raise RuntimeError(log.read_text())
            yield process
        finally:
            stop(process)
