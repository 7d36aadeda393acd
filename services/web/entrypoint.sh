#!/bin/sh
# Web roles: web (gunicorn) | beat (Celery beat + the web's own queue) | any manage.py command.
# python, python3, sh, bash or an absolute path runs as given (docker run IMAGE python -c ...).
# What the image's HEALTHCHECK (healthcheck.py) checks for the role is written to REALTIME_HEALTH_FILE.
set -eu
cd "$(dirname "$0")"
role="${1:-web}"
[ "$#" -gt 0 ] && shift
health_file="${REALTIME_HEALTH_FILE:-/tmp/realtime-health}"

case "$role" in
    python|python3|sh|bash|/*) exec "$role" "$@" ;;
esac

# Every role loads the Django settings, which refuse to start without a secret: say so in one line.
case "$(printf %s "${DJANGO_DEBUG:-}" | tr '[:upper:]' '[:lower:]')" in
    1|true|yes|on) ;;
    *) if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
           echo "entrypoint: DJANGO_SECRET_KEY is not set: give the web app a long random secret (.env or the stack's answers)" >&2
           exit 2
       fi ;;
esac

prepare() {
    python manage.py migrate --noinput -v0
    python manage.py loadvolcanoes  # the ash upload page's volcanoes, from the processor's table (idempotent)
    if [ -n "${INASAFE_REALTIME_REST_USER:-}" ] && [ -n "${INASAFE_REALTIME_REST_PASSWORD:-}" ]; then
        # "--": a password may begin with "-" (token_urlsafe makes such), which argparse would read as an option
        python manage.py createrealtimeuser -- "$INASAFE_REALTIME_REST_USER" "$INASAFE_REALTIME_REST_PASSWORD"
    fi
    # The image collects static files at build time (its root file system may be read-only); elsewhere, here.
    if [ "${REALTIME_WEB_STATIC_COLLECTED:-0}" != 1 ]; then
        python manage.py collectstatic --noinput -v0
    fi
}

case "$role" in
    web)
        prepare
        bind="${REALTIME_WEB_BIND:-0.0.0.0:8000}"
        echo "http://127.0.0.1:${bind##*:}/healthz" > "$health_file"
        exec gunicorn inasafe_web.wsgi:application --bind "$bind" \
            --workers "${REALTIME_WEB_WORKERS:-3}" --timeout 120 --access-logfile - "$@"
        ;;
    beat)
        echo celery > "$health_file"  # ping this container's own Celery node
        exec celery --app inasafe_web worker --beat --queues inasafe-django --concurrency 1 \
            --schedule "${REALTIME_BEAT_SCHEDULE:-/tmp/celerybeat-schedule}" --loglevel INFO "$@"
        ;;
    *)
        exec python manage.py "$role" "$@"
        ;;
esac
