#!/bin/sh
# Start the SFTP receiver: host keys, chroot and upload folders, a config check, then sshd in the foreground.
#
#   entrypoint.sh           prepare everything below and exec sshd (logs to stderr)
#   entrypoint.sh --check   validate only: config (sshd -t), host keys, BMKG's key, chroot; writes nothing
#                           but sshd's runtime dir, uses throwaway host keys if none exist yet
#
# Environment:
#   SFTP_UID / SFTP_GID   uid/gid owning uploads (default 1000/1000, the realtime user of the other images)
#   SFTP_RSA_BITS         size of a newly generated RSA host key (default 4096)
# Paths and the account, fixed in the image; overridable only to run this script outside it (the
# tests do, with a fake layout). Each must agree with the sshd config it points sshd at:
#   SFTP_USER             the upload account (default realtime; sshd_config: AllowUsers)
#   SFTP_SSHD_CONFIG      the sshd config (default /etc/ssh/sshd_config)
#   SFTP_HOST_KEYS        host keys folder, a volume (default /etc/ssh/host_keys; sshd_config: HostKey)
#   SFTP_AUTHORIZED_KEYS  BMKG's public key file, in a volume (default /etc/ssh/authorized_keys/$SFTP_USER;
#                         sshd_config: AuthorizedKeysFile)
#   SFTP_CHROOT           the chroot built by build-chroot.sh (default /srv/sftp; sshd_config: ChrootDirectory)
set -eu

SFTP_USER="${SFTP_USER:-realtime}"
SFTP_UID="${SFTP_UID:-1000}"
SFTP_GID="${SFTP_GID:-$SFTP_UID}"
SSHD_CONFIG="${SFTP_SSHD_CONFIG:-/etc/ssh/sshd_config}"
HOST_KEYS="${SFTP_HOST_KEYS:-/etc/ssh/host_keys}"
AUTHORIZED_KEYS="${SFTP_AUTHORIZED_KEYS:-/etc/ssh/authorized_keys/$SFTP_USER}"
CHROOT="${SFTP_CHROOT:-/srv/sftp}"
UPLOAD_DIRS="shakemaps shakemaps-corrected"   # volumes inside the chroot, the monitor's watched folders

log() { echo "sftp: $*" >&2; }

check_mode=false
if [ "${1:-}" = "--check" ]; then
    check_mode=true
elif [ "$#" -gt 0 ]; then
    exec "$@"   # e.g. `docker run ... sh` for debugging
fi

mkdir -p /run/sshd && chmod 0755 /run/sshd   # sshd's privilege-separation dir

# The realtime user owns the uploads; match the uid/gid of whoever processes them.
if [ "$check_mode" = false ]; then
    if [ "$(id -g "$SFTP_USER")" != "$SFTP_GID" ]; then
        groupmod -o -g "$SFTP_GID" "$SFTP_USER"
    fi
    if [ "$(id -u "$SFTP_USER")" != "$SFTP_UID" ]; then
        usermod -o -u "$SFTP_UID" -g "$SFTP_GID" "$SFTP_USER"
    fi
fi

# Host keys: generated once, on first start, into the volume, and kept from then on, so the
# fingerprints BMKG pinned in known_hosts stay valid across restarts, rebuilds and migrations.
config="$SSHD_CONFIG"
missing_keys=""
for type in ed25519 rsa; do
    [ -f "$HOST_KEYS/ssh_host_${type}_key" ] || missing_keys="$missing_keys $type"
done
if [ -n "$missing_keys" ] && [ "$check_mode" = true ]; then
    log "host keys missing ($missing_keys ); they will be generated on the first start. Checking with throwaway keys."
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    for type in ed25519 rsa; do
        ssh-keygen -q -t "$type" -N "" -f "$scratch/ssh_host_${type}_key"
    done
    sed "s#^HostKey $HOST_KEYS/#HostKey $scratch/#" "$SSHD_CONFIG" > "$scratch/sshd_config"
    config="$scratch/sshd_config"
elif [ -n "$missing_keys" ]; then
    mkdir -p "$HOST_KEYS"
    chmod 0700 "$HOST_KEYS"
    for type in $missing_keys; do
        log "generating the $type host key in $HOST_KEYS (first start)"
        if [ "$type" = rsa ]; then
            ssh-keygen -q -t rsa -b "${SFTP_RSA_BITS:-4096}" -N "" -C "inasafe-realtime-sftp" -f "$HOST_KEYS/ssh_host_rsa_key"
        else
            ssh-keygen -q -t "$type" -N "" -C "inasafe-realtime-sftp" -f "$HOST_KEYS/ssh_host_${type}_key"
        fi
    done
fi
if [ "$check_mode" = false ]; then
    chown root:root "$HOST_KEYS" "$HOST_KEYS"/ssh_host_*
    chmod 0600 "$HOST_KEYS"/ssh_host_*_key
    chmod 0644 "$HOST_KEYS"/ssh_host_*_key.pub
    for pub in "$HOST_KEYS"/ssh_host_*_key.pub; do
        log "host key $(ssh-keygen -l -f "$pub")"   # what BMKG should see on first connect
    done
fi

# BMKG's public key. sshd (StrictModes) ignores it unless it and its folder are root-owned and not writable by others.
if [ ! -s "$AUTHORIZED_KEYS" ]; then
    log "WARNING: no public key in $AUTHORIZED_KEYS: nobody can log in until BMKG's key is installed there"
elif [ "$check_mode" = false ]; then
    if ! { chown root:root "$AUTHORIZED_KEYS" && chmod 0644 "$AUTHORIZED_KEYS"; } 2>/dev/null; then
        log "note: $AUTHORIZED_KEYS is read-only here; it must be root-owned and not group/world-writable"
    fi
    log "authorized keys: $(grep -c '^[^#]' "$AUTHORIZED_KEYS") key(s) for $SFTP_USER"
fi

# The chroot: root-owned all the way down (sshd refuses it otherwise), the upload folders owned by realtime.
for program in /bin/sh /usr/local/bin/sftp-dispatch /usr/lib/openssh/sftp-server /usr/bin/rrsync /usr/bin/python3 /usr/bin/rsync; do
    if [ ! -x "$CHROOT$program" ]; then
        log "ERROR: $CHROOT$program is missing: rebuild the image (build-chroot.sh)"
        exit 1
    fi
done
if [ ! -c "$CHROOT/dev/null" ] && [ "$check_mode" = false ]; then
    mknod -m 0666 "$CHROOT/dev/null" c 1 3   # sftp-server needs it; build-chroot.sh could not make it
fi
if [ ! -c "$CHROOT/dev/null" ]; then
    log "ERROR: $CHROOT/dev/null is missing (sftp-server cannot start without it)"
    exit 1
fi
if [ "$check_mode" = false ]; then
    # only what differs is changed, so a read-only root file system (the image as built) passes
    for dir in "$CHROOT" "$CHROOT/etc"; do
        [ "$(stat -c %u:%g:%a "$dir")" = 0:0:755 ] || { chown root:root "$dir"; chmod 0755 "$dir"; }
    done
    # sftp-server refuses to start without its own user in the chroot's passwd
    for db in passwd group; do
        entries="$(grep -E "^(root|$SFTP_USER):" "/etc/$db")"
        [ "$(cat "$CHROOT/etc/$db" 2>/dev/null)" = "$entries" ] || printf '%s\n' "$entries" > "$CHROOT/etc/$db"
    done
    for dir in $UPLOAD_DIRS; do
        mkdir -p "$CHROOT/$dir"
        chown "$SFTP_UID:$SFTP_GID" "$CHROOT/$dir"
        chmod 0775 "$CHROOT/$dir"
    done
fi

/usr/sbin/sshd -t -f "$config"
if [ "$check_mode" = true ]; then
    log "configuration OK"
    exit 0
fi
log "listening for $SFTP_USER (SFTP and rsync into $CHROOT: $UPLOAD_DIRS)"
exec /usr/sbin/sshd -D -e -f "$SSHD_CONFIG"
