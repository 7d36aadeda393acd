#!/bin/sh
# Fill the sshd ChrootDirectory with exactly what an upload session runs, and nothing more.
#
#   build-chroot.sh [CHROOT [DISPATCHER [HOME]]]   (defaults: /srv/sftp /usr/local/bin/sftp-dispatch /home/realtime)
#
# sshd chroots the realtime user into CHROOT *before* it runs the ForceCommand, so everything
# the session executes must exist inside it, at the same paths:
#   /bin/sh                        sshd runs the ForceCommand as `$SHELL -c dispatcher`
#   /usr/local/bin/sftp-dispatch   the ForceCommand (dispatch.sh)
#   /usr/lib/openssh/sftp-server   SFTP (the internal-sftp built into sshd cannot be exec'd by a script)
#   /usr/bin/rrsync                rsync's restricted wrapper, a Python script ...
#   /usr/bin/python3 + stdlib      ... hence its interpreter and Debian's minimal standard library
#   /usr/bin/rsync                 what rrsync execs
#   /dev/null                      sftp-server exits at start without it ("Couldn't open /dev/null")
# plus the shared libraries `ldd` lists for each of those programs, and the user's HOME with the upload
# folders (volume mount points) HOME/shakemaps and HOME/shakemaps-corrected, linked from /shakemaps and
# /shakemaps-corrected. etc/passwd and etc/group (sftp-server needs its own uid there) are written by
# the entrypoint, which also re-checks all this at start. Every directory is root-owned and not writable
# by the user, as sshd requires; only the upload folders will belong to the realtime user.
set -eu

root="${1:-/srv/sftp}"
dispatcher="${2:-/usr/local/bin/sftp-dispatch}"
home="${3:-/home/realtime}"
python="$(readlink -f /usr/bin/python3)"      # /usr/bin/python3.11 on bookworm
pyname="$(basename "$python")"                 # python3.11
pylib="/usr/lib/$pyname"

umask 022
mkdir -p "$root"

# Mirror merged /usr (/bin -> usr/bin, ...) so ldd's /lib and /lib64 paths land where the host has them.
for link in bin sbin lib lib64; do
    if [ -L "/$link" ]; then
        mkdir -p "$root/$(readlink "/$link")"
        ln -sfn "$(readlink "/$link")" "$root/$link"
    fi
done

copy() {  # copy host files (symlinks resolved) to the same path inside the chroot
    for file in "$@"; do
        mkdir -p "$root$(dirname "$file")"
        cp -L "$file" "$root$file"
    done
}

libraries() {  # the absolute paths in `ldd` output, e.g. "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)"
    ldd "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'
}

programs="/bin/sh /usr/lib/openssh/sftp-server /usr/bin/rsync /usr/bin/python3"
for program in $programs; do
    copy "$program"
    # shellcheck disable=SC2046  # one library path per word
    copy $(libraries "$program")
done
copy /usr/bin/rrsync

# Debian's minimal standard library (what python3-minimal installs), byte-compiled in place so each
# rrsync start does not recompile it (the session cannot write __pycache__ inside the chroot).
dpkg-query -L "lib$pyname-minimal" | while read -r file; do
    case "$file" in
        "$pylib"/*) if [ -f "$file" ]; then copy "$file"; fi ;;
    esac
done
"$python" -m compileall -q -s "$root" -p / "$root$pylib" >/dev/null

mkdir -p "$root/usr/local/bin" "$root/etc" "$root/dev"
if [ ! -c "$root/dev/null" ]; then
    # needs CAP_MKNOD (a root `docker build` has it); entrypoint.sh retries at start otherwise
    mknod -m 0666 "$root/dev/null" c 1 3 || echo "build-chroot: could not create $root/dev/null" >&2
fi
cp "$dispatcher" "$root/usr/local/bin/sftp-dispatch"
chmod 0755 "$root/usr/local/bin/sftp-dispatch"

# The old stack's paths (/home/realtime/shakemaps/..., or relative to the home) and ours (/shakemaps/...).
for dir in shakemaps shakemaps-corrected; do
    mkdir -p "$root$home/$dir"
    ln -sfn "${home#/}/$dir" "$root/$dir"
done

# Copies are root-owned and, with umask 022, not group/world-writable; sshd checks the chroot itself.
if [ "$(id -u)" = 0 ]; then
    chown root:root "$root"
fi
chmod 0755 "$root"
