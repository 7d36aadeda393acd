#!/bin/sh
# Processor roles: monitor | worker | flower | demo | any other `realtime` subcommand.
# python, python3, sh, bash or an absolute path runs as given (docker run IMAGE python -c ...).
# The role's health URL is written where healthcheck.py (the image's HEALTHCHECK) finds it.
set -eu

role="${1:-worker}"
[ "$#" -gt 0 ] && shift
health_file="${REALTIME_HEALTH_URL_FILE:-/tmp/realtime-health-url}"

check_dir() {  # a volume that is missing or read-only is a deployment error: say which
    if [ ! -d "$1" ]; then echo "entrypoint: $2 ($1) does not exist: is the volume mounted?" >&2; exit 2; fi
    if [ "${3:-rw}" = rw ] && [ ! -w "$1" ]; then echo "entrypoint: $2 ($1) is not writable for $(id -un)" >&2; exit 2; fi
}

case "$role" in
    python|python3|sh|bash|/*)
        exec "$role" "$@"
        ;;
    monitor)
        check_dir "$SHAKEMAPS_DIR" SHAKEMAPS_DIR
        check_dir "$REALTIME_STATE_DIR" REALTIME_STATE_DIR
        echo "http://127.0.0.1:${REALTIME_MONITOR_HEALTH_PORT:-8081}/healthz" > "$health_file"
        exec realtime monitor "$@"
        ;;
    worker)
        for pair in "SHAKEMAPS_EXTRACT_DIR:$SHAKEMAPS_EXTRACT_DIR" "FLOODMAPS_DIR:$FLOODMAPS_DIR" \
                    "REALTIME_STATE_DIR:$REALTIME_STATE_DIR"; do
            check_dir "${pair#*:}" "${pair%%:*}"
        done
        check_dir "$ANALYSIS_DATA_DIR" ANALYSIS_DATA_DIR ro
        echo "http://127.0.0.1:${REALTIME_WORKER_HEALTH_PORT:-8080}/healthz" > "$health_file"
        exec realtime worker "$@"
        ;;
    flower)
        echo "http://127.0.0.1:${REALTIME_FLOWER_PORT:-5555}/healthcheck" > "$health_file"
        exec celery --app realtime.runtime.celery_app flower --port="${REALTIME_FLOWER_PORT:-5555}" "$@"
        ;;
    demo)
        # The scenario grid and its products go to REALTIME_DEMO_DIR, the demo population (made when missing) to
        # ANALYSIS_DATA_DIR; both must be writable (in the image: folders of /home/realtime, or volumes there).
        demo_dir="${REALTIME_DEMO_DIR:-var/demo}"
        data_dir="${ANALYSIS_DATA_DIR:-var/analysis-data}"
        mkdir -p "$demo_dir" "$data_dir" 2>/dev/null || true
        check_dir "$demo_dir" REALTIME_DEMO_DIR
        check_dir "$data_dir" ANALYSIS_DATA_DIR
        exec realtime demo --workdir "$demo_dir" "$@"
        ;;
    *)
        exec realtime "$role" "$@"
        ;;
esac
