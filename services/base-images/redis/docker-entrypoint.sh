#!/bin/sh
# The official redis image's entrypoint rules, for the stand-in:
# - a first argument that is a flag (--appendonly yes) or a .conf file runs redis-server with it;
# - redis-server started as root fixes /data's ownership and drops to the redis user;
# - redis-server gets the official defaults (defaults.conf) first, so a config file or flags override them.
set -eu

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "$1" = redis-server ]; then
    shift
    if [ "$#" -gt 0 ] && [ "${1%.conf}" != "$1" ]; then
        config="$1"
        shift
        set -- --include "$config" "$@"
    fi
    set -- redis-server /usr/local/etc/redis/defaults.conf "$@"
fi

[ "$(umask)" != 0022 ] || umask 0077

exec "$@"
