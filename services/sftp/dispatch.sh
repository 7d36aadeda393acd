#!/bin/sh
# sshd ForceCommand for the BMKG upload account: SFTP or rsync-over-ssh, nothing else.
#
# sshd runs this through the user's shell (`/bin/sh -c`) for every session, after the chroot,
# with what the client asked for in $SSH_ORIGINAL_COMMAND. A subsystem request ("sftp") arrives as
# the Subsystem command from sshd_config (/usr/lib/openssh/sftp-server); `rsync -e ssh` arrives as
# "rsync --server ...". The original command is never run: only the two fixed programs below are.
#
# UPLOAD_ROOT and UPLOAD_HOME come from `SetEnv` in sshd_config; clients cannot set them (no AcceptEnv, no
# user environment). In the production chroot UPLOAD_ROOT is "/", where shakemaps and shakemaps-corrected
# link to the upload folders in UPLOAD_HOME, /home/realtime (the old stack's home, where BMKG's relative
# paths start): /home/realtime/shakemaps/ID, shakemaps/ID and /shakemaps/ID are one folder, over SFTP and rsync.
set -eu

UPLOAD_ROOT="${UPLOAD_ROOT:-/}"
UPLOAD_HOME="${UPLOAD_HOME:-$UPLOAD_ROOT}"
SFTP_SERVER="${SFTP_SERVER:-/usr/lib/openssh/sftp-server}"
RRSYNC="${RRSYNC:-/usr/bin/rrsync}"
command="${SSH_ORIGINAL_COMMAND:-}"

case "$command" in
    "rsync --server --sender "*)
        # A download: refused here already (rrsync -wo would refuse it too).
        ;;
    "rsync --server "*)
        # rrsync checks the client's rsync options and confines the transfer to UPLOAD_ROOT (it strips one
        # leading "/" and resolves the rest from there: relative paths reach the home through the links):
        # -wo write-only (no downloads), -no-del (no --delete*/--remove-source-files on our side),
        # -no-lock (two pushes at once, e.g. an initial and a corrected grid, must both succeed), -munge (a symlink
        # the client sends is stored unusable, so no grid.xml can point at another file on our side).
        exec "$RRSYNC" -wo -no-del -no-lock -munge "$UPLOAD_ROOT"
        ;;
    "$SFTP_SERVER" | */sftp-server | internal-sftp)
        # -u 0002: uploads are group-writable for the realtime group (the monitor/worker);
        # -d: start in UPLOAD_HOME; -P: no new links, which could point out of the upload tree.
        exec "$SFTP_SERVER" -u 0002 -d "$UPLOAD_HOME" -P symlink,hardlink
        ;;
esac

echo "InaSAFE Realtime accepts SFTP and rsync uploads only." >&2
exit 1
