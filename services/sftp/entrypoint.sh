#!/bin/sh
# Start the SFTP receiver: host keys, BMKG's keys, the chroot and its upload folders, a config check, then sshd.
#
#   entrypoint.sh           prepare everything below and exec sshd (logs to stderr)
#   entrypoint.sh --check   validate only: config (sshd -t), host keys, BMKG's key, chroot; writes nothing
#                           but sshd's runtime dir, uses throwaway host keys if none exist yet
#
# The volumes may be the old stack's (inasafe/docker-realtime-orchestration) as they are: its /etc/ssh as
# the host keys folder, its ~realtime/.ssh as the authorized keys folder (README.md: "Taking over the old
# stack's volumes"). Nothing but the host keys' and key files' ownership and modes is ever changed there.
#
# Environment:
#   SFTP_UID / SFTP_GID   uid/gid owning uploads (default 1000/1000, the realtime user of the other images)
#   SFTP_RSA_BITS         size of a newly generated RSA host key (default 4096)
# Paths and the account, fixed in the image; overridable only to run this script outside it (the
# tests do, with a fake layout). Each must agree with the sshd config it points sshd at:
#   SFTP_USER             the upload account (default realtime; sshd_config: AllowUsers). Its home in
#                         /etc/passwd (/home/realtime) is a folder inside the chroot (sshd_config: SetEnv UPLOAD_HOME)
#   SFTP_SSHD_CONFIG      the sshd config (default /etc/ssh/sshd_config)
#   SFTP_HOST_KEYS        host keys folder, a volume (default /etc/ssh/host_keys); given to sshd with -h
#   SFTP_AUTHORIZED_KEYS_DIR  BMKG's public keys, a volume (default /etc/ssh/authorized_keys): files
#                         $SFTP_USER and authorized_keys (sshd_config: AuthorizedKeysFile)
#   SFTP_CHROOT           the chroot built by build-chroot.sh (default /srv/sftp; sshd_config: ChrootDirectory)
set -eu

SFTP_USER="${SFTP_USER:-realtime}"
SFTP_UID="${SFTP_UID:-1000}"
SFTP_GID="${SFTP_GID:-$SFTP_UID}"
SSHD_CONFIG="${SFTP_SSHD_CONFIG:-/etc/ssh/sshd_config}"
HOST_KEYS="${SFTP_HOST_KEYS:-/etc/ssh/host_keys}"
AUTHORIZED_KEYS_DIR="${SFTP_AUTHORIZED_KEYS_DIR:-/etc/ssh/authorized_keys}"
CHROOT="${SFTP_CHROOT:-/srv/sftp}"
HOST_KEY_TYPES="ed25519 ecdsa rsa"       # all OpenSSH 9.2 serves; the old /etc/ssh may hold any of them
NEW_HOST_KEY_TYPES="ed25519 rsa"         # generated only when none of the above exists
KEY_FILES="$SFTP_USER authorized_keys"   # ours, and the old ~/.ssh layout's
UPLOAD_DIRS="shakemaps shakemaps-corrected"   # volumes in the user's home, the monitor's watched folders

log() { echo "sftp: $*" >&2; }

check_mode=false
if [ "${1:-}" = "--check" ]; then
    check_mode=true
elif [ "$#" -gt 0 ]; then
    exec "$@"   # e.g. `docker run ... sh` for debugging
fi
set --   # from here on: sshd's -h arguments, one per host key served

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

# Host keys: every one found is served, so a client that pinned any of them (the old stack's ECDSA key
# too) still recognises us. Generated once, on first start, only into a folder holding none, then kept.
key_dir="$HOST_KEYS"
found=""
for type in $HOST_KEY_TYPES; do
    if [ -f "$key_dir/ssh_host_${type}_key" ]; then found="$found $type"; fi
done
if [ -e "$key_dir/ssh_host_dsa_key" ]; then
    log "ignoring $key_dir/ssh_host_dsa_key: OpenSSH 9.2 no longer serves DSA host keys"
fi
if [ -z "$found" ] && [ "$check_mode" = true ]; then
    log "no host key in $HOST_KEYS; $NEW_HOST_KEY_TYPES keys will be generated on the first start. Checking with throwaway keys."
    key_dir="$(mktemp -d)"
    trap 'rm -rf "$key_dir"' EXIT
    for type in $NEW_HOST_KEY_TYPES; do
        ssh-keygen -q -t "$type" -N "" -f "$key_dir/ssh_host_${type}_key"
    done
    found="$NEW_HOST_KEY_TYPES"
elif [ -z "$found" ]; then
    mkdir -p "$HOST_KEYS"
    chmod 0700 "$HOST_KEYS"
    for type in $NEW_HOST_KEY_TYPES; do
        log "generating the $type host key in $HOST_KEYS (first start)"
        if [ "$type" = rsa ]; then
            ssh-keygen -q -t rsa -b "${SFTP_RSA_BITS:-4096}" -N "" -C "inasafe-realtime-sftp" -f "$HOST_KEYS/ssh_host_rsa_key"
        else
            ssh-keygen -q -t "$type" -N "" -C "inasafe-realtime-sftp" -f "$HOST_KEYS/ssh_host_${type}_key"
        fi
    done
    found="$NEW_HOST_KEY_TYPES"
fi
for type in $found; do
    key="$key_dir/ssh_host_${type}_key"
    set -- "$@" -h "$key"
    [ "$check_mode" = false ] || continue
    # sshd skips a private key others may read; only what differs is changed (a read-only volume passes)
    if [ "$(stat -c %u "$key")" != 0 ] || [ $((0$(stat -c %a "$key") & 077)) -ne 0 ]; then
        { chown root:root "$key" && chmod go-rwx "$key"; } 2>/dev/null \
            || log "note: $key is read-only here; sshd skips it unless it is root-owned and private (0600)"
    fi
    log "host key $(ssh-keygen -l -f "$key")"   # what BMKG should see on first connect
done

# BMKG's public keys. sshd reads them as the user at every login (so a key added later needs no restart)
# and, with StrictModes, skips a file unless it and its folder belong to root or the user and are not
# group/world-writable. The old ~/.ssh volume may belong to the old stack's uid: then root takes it over.
sshd_may_read() {  # PATH r|x: make PATH acceptable to sshd, changing only what differs; false if it cannot
    path="$1" need="$2"
    owner="$(stat -c %u "$path")"
    if [ "$owner" != 0 ] && [ "$owner" != "$SFTP_UID" ]; then
        chown root:root "$path" 2>/dev/null || return 1
        owner=0
    fi
    mode="0$(stat -c %a "$path")"
    if [ $(($mode & 022)) -ne 0 ]; then
        chmod go-w "$path" 2>/dev/null || return 1
    fi
    if [ "$need" = r ]; then user_bit=0400 all_bit=0004; else user_bit=0100 all_bit=0001; fi
    if [ "$owner" = 0 ] && [ $(($mode & $all_bit)) -eq 0 ]; then
        chmod "a+$need" "$path" 2>/dev/null || return 1
    elif [ "$owner" != 0 ] && [ $(($mode & $user_bit)) -eq 0 ]; then
        chmod "u+$need" "$path" 2>/dev/null || return 1
    fi
}
key_files=""
for name in $KEY_FILES; do
    if [ -s "$AUTHORIZED_KEYS_DIR/$name" ]; then key_files="$key_files $AUTHORIZED_KEYS_DIR/$name"; fi
done
if [ -z "$key_files" ]; then
    log "WARNING: no public key in $AUTHORIZED_KEYS_DIR ($KEY_FILES): nobody can log in until BMKG's key is installed there"
elif [ "$check_mode" = false ]; then
    sshd_may_read "$AUTHORIZED_KEYS_DIR" x \
        || log "note: $AUTHORIZED_KEYS_DIR is read-only here; it must belong to root or $SFTP_USER, not be group/world-writable, and let $SFTP_USER in"
    for file in $key_files; do
        sshd_may_read "$file" r \
            || log "note: $file is read-only here; it must belong to root or $SFTP_USER, not be group/world-writable, and be readable by $SFTP_USER"
    done
    # shellcheck disable=SC2086  # one file per word
    log "authorized keys: $(cat $key_files | grep -c '^[^#]') key(s) for $SFTP_USER in$key_files"
fi

# The chroot: root-owned all the way down (sshd refuses it otherwise) to the user's home, where the upload
# folders (volumes) belong to the user. /shakemaps and /shakemaps-corrected link to them, so the old stack's
# absolute paths (/home/realtime/shakemaps/...), paths relative to the home and ours (/shakemaps/...) all work.
home="$(getent passwd "$SFTP_USER" | cut -d: -f6)"
case "$home" in
    /?*) ;;
    *) log "ERROR: $SFTP_USER's home is '$home'; it must be a folder inside the chroot such as /home/realtime"; exit 1 ;;
esac
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
for dir in $UPLOAD_DIRS; do
    # A volume mounted at the old mount point $CHROOT/$dir: Docker follows the link and stacks it with the
    # image's own volume on $CHROOT$home/$dir, which hides it; uploads would vanish into the anonymous volume.
    mounts="$(awk -v path="$CHROOT$home/$dir" '$5 == path' /proc/self/mountinfo 2>/dev/null | wc -l)"
    if [ "$mounts" -gt 1 ]; then
        log "ERROR: $mounts volumes are mounted on $CHROOT$home/$dir, one hiding the other: mount the upload volume there, not at $CHROOT/$dir"
        exit 1
    fi
    link="$CHROOT/$dir" target="${home#/}/$dir"
    [ "$(readlink "$link" 2>/dev/null || true)" != "$target" ] || continue
    if [ -d "$link" ] && [ ! -L "$link" ] && { [ "$check_mode" = true ] || ! rmdir "$link" 2>/dev/null; }; then
        log "ERROR: $link is a folder, not a link to $target: mount the upload volume at $CHROOT$home/$dir"
        exit 1
    fi
    if [ "$check_mode" = false ]; then
        rm -f "$link"
        ln -s "$target" "$link"
    fi
done
if [ "$check_mode" = false ]; then
    # only what differs is changed, so a read-only root file system (the image as built) passes
    mkdir -p "$CHROOT$home"
    dir="$CHROOT$home"
    while [ "$dir" != "$CHROOT" ]; do
        [ "$(stat -c %u:%g:%a "$dir")" = 0:0:755 ] || { chown root:root "$dir"; chmod 0755 "$dir"; }
        dir="$(dirname "$dir")"
    done
    for dir in "$CHROOT" "$CHROOT/etc"; do
        [ "$(stat -c %u:%g:%a "$dir")" = 0:0:755 ] || { chown root:root "$dir"; chmod 0755 "$dir"; }
    done
    # sftp-server refuses to start without its own user in the chroot's passwd
    for db in passwd group; do
        entries="$(grep -E "^(root|$SFTP_USER):" "/etc/$db")"
        [ "$(cat "$CHROOT/etc/$db" 2>/dev/null)" = "$entries" ] || printf '%s\n' "$entries" > "$CHROOT/etc/$db"
    done
    for dir in $UPLOAD_DIRS; do
        mkdir -p "$CHROOT$home/$dir"
        [ "$(stat -c %u:%g:%a "$CHROOT$home/$dir")" = "$SFTP_UID:$SFTP_GID:775" ] \
            || { chown "$SFTP_UID:$SFTP_GID" "$CHROOT$home/$dir"; chmod 0775 "$CHROOT$home/$dir"; }
    done
fi

/usr/sbin/sshd -t -f "$SSHD_CONFIG" "$@"
if [ "$check_mode" = true ]; then
    log "configuration OK"
    exit 0
fi
log "listening for $SFTP_USER (SFTP and rsync into $CHROOT$home: $UPLOAD_DIRS)"
exec /usr/sbin/sshd -D -e -f "$SSHD_CONFIG" "$@"
