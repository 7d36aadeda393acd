#!/bin/sh
# Build local stand-ins for the base images the project's Dockerfiles and compose files name, from
# Debian packages, when no registry (Docker Hub) is reachable: our CI machines, and air-gapped sites
# with a Debian mirror. The project's Dockerfiles stay as they are; `docker build` finds these tags locally.
#
#   build.sh [--force] [--mirror URL] [--security-mirror URL|none] [--host-ca FILE|none] [--pip-index URL]
#
#   debian:bookworm-slim        mmdebstrap --variant=minbase (+ ca-certificates), slimmed like the official image
#   python:3.11-slim-bookworm   Debian's python3 in a venv at /usr/local, so python and pip sit where the official has them
#   redis:7-bookworm            Debian's redis-server, with the official image's entrypoint behaviour and defaults
#
# It needs a running Docker engine (it starts nothing itself; see start-docker.sh) and, for the debian image,
# mmdebstrap (apt-get install mmdebstrap). An image that already exists is kept unless --force.
#
# --mirror          Debian archive for bookworm and bookworm-updates (default $DEBIAN_MIRROR or http://deb.debian.org/debian)
# --security-mirror bookworm-security (default $DEBIAN_SECURITY_MIRROR or http://deb.debian.org/debian-security; none: skip)
# --host-ca         CA bundle copied into the python stand-in for pip (default /etc/ssl/certs/ca-certificates.crt, the
#                   host's, which on our machines holds the HTTPS proxy's CA; none: the image's own). STAND-IN ONLY.
# --pip-index       a PyPI mirror for pip in builds from the python stand-in (PIP_INDEX_URL in it). STAND-IN ONLY.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
force=false
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
host_ca=/etc/ssl/certs/ca-certificates.crt
pip_index=""

fail() { echo "base-images: $*" >&2; exit 1; }
say() { echo "base-images: $*"; }

while [ "$#" -gt 0 ]; do
    case "$1" in
        --force) force=true ;;
        --mirror) [ "$#" -ge 2 ] || fail "--mirror needs a URL"; mirror="$2"; shift ;;
        --security-mirror) [ "$#" -ge 2 ] || fail "--security-mirror needs a URL or none"; security="$2"; shift ;;
        --host-ca) [ "$#" -ge 2 ] || fail "--host-ca needs a file or none"; host_ca="$2"; shift ;;
        --pip-index) [ "$#" -ge 2 ] || fail "--pip-index needs a URL"; pip_index="$2"; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) fail "unknown argument $1 (see --help)" ;;
    esac
    shift
done

command -v docker >/dev/null 2>&1 || fail "the docker command is missing: apt-get install docker.io"
docker info >/dev/null 2>&1 || fail "Docker is not running (docker info fails): start dockerd first, e.g. services/base-images/start-docker.sh"

exists() { docker image inspect "$1" >/dev/null 2>&1; }

wanted() {  # true when $1 must be built; says why not otherwise
    if exists "$1" && [ "$force" = false ]; then
        say "$1 exists, kept (--force rebuilds it)"
        return 1
    fi
    return 0
}

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# debian:bookworm-slim. The dpkg excludes, policy-rc.d and apt settings are those the official (debuerreotype)
# slim image carries, so packages installed later also leave out docs and man pages and start no services.
if wanted debian:bookworm-slim; then
    command -v mmdebstrap >/dev/null 2>&1 || fail "mmdebstrap is missing: apt-get install mmdebstrap"
    set -- "deb $mirror bookworm main" "deb $mirror bookworm-updates main"
    [ "$security" = none ] || set -- "$@" "deb $security bookworm-security main"
    printf '#!/bin/sh\n# no service starts during a docker build\nexit 101\n' > "$scratch/policy-rc.d"
    cat > "$scratch/docker-clean" <<'CLEAN'
// No .deb files or package caches are left in image layers (as in the official image).
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CLEAN
    log="${TMPDIR:-/tmp}/base-images-mmdebstrap.log"
    say "building debian:bookworm-slim with mmdebstrap from $mirror (about a minute, log in $log)"
    # merged-usr: /bin, /lib... are symlinks into /usr and usr-is-merged is installed, as in the official image
    # (without it apt satisfies init-system-helpers with usrmerge, which pulls in perl).
    mmdebstrap --quiet --variant=minbase --include=ca-certificates \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/groff/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        --aptopt='Acquire::Languages "none"' --aptopt='APT::Install-Recommends "false"' \
        --customize-hook='sed -i "/Install-Recommends/d" "$1/etc/apt/apt.conf.d/99mmdebstrap"' \
        --customize-hook="copy-in $scratch/policy-rc.d /usr/sbin" --customize-hook='chmod 0755 "$1/usr/sbin/policy-rc.d"' \
        --customize-hook="copy-in $scratch/docker-clean /etc/apt/apt.conf.d" \
        --customize-hook='rm -rf "$1"/usr/share/doc/*/changelog* "$1"/usr/share/man/* "$1"/var/cache/apt/*.bin' \
        bookworm "$scratch/rootfs.tar" "$@" > "$log" 2>&1 || fail "mmdebstrap failed (is $mirror reachable?): see $log"
    docker import --change 'CMD ["bash"]' --message "stand-in built by services/base-images/build.sh" \
        "$scratch/rootfs.tar" debian:bookworm-slim >/dev/null
    rm -f "$scratch/rootfs.tar"
    say "debian:bookworm-slim built"
fi

# python:3.11-slim-bookworm. The host's CA bundle goes in only here, never in the project's Dockerfiles.
if wanted python:3.11-slim-bookworm; then
    cp -r "$here/python" "$scratch/python"
    if [ "$host_ca" = none ]; then
        : > "$scratch/python/host-ca.crt"
    else
        [ -r "$host_ca" ] || fail "$host_ca: cannot read the CA bundle for pip (--host-ca none to skip)"
        cp "$host_ca" "$scratch/python/host-ca.crt"
    fi
    [ -z "$pip_index" ] || echo "ENV PIP_INDEX_URL=$pip_index" >> "$scratch/python/Dockerfile"
    say "building python:3.11-slim-bookworm from debian:bookworm-slim"
    docker build --quiet -t python:3.11-slim-bookworm "$scratch/python" >/dev/null \
        || fail "docker build of python:3.11-slim-bookworm failed (run it without --quiet: docker build $here/python)"
    say "python:3.11-slim-bookworm built"
fi

if wanted redis:7-bookworm; then
    say "building redis:7-bookworm from debian:bookworm-slim"
    docker build --quiet -t redis:7-bookworm "$here/redis" >/dev/null \
        || fail "docker build of redis:7-bookworm failed (run it without --quiet: docker build $here/redis)"
    say "redis:7-bookworm built"
fi

docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' debian:bookworm-slim
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' python:3.11-slim-bookworm
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' redis:7-bookworm
