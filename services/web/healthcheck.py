"""The web image's HEALTHCHECK: check what entrypoint.sh wrote for the running role; exit 0 when healthy.

web writes its /healthz URL (gunicorn answers, the database answers). beat writes `celery`: beat runs a Celery
worker for the web queue, so this pings that worker, this container's own node, through the broker; a beat that
lost redis or hangs is unhealthy. Bounded: the ping waits PING_SECONDS, the HTTP request as long.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request

PING_SECONDS = 4.0


def url_answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=PING_SECONDS) as response:
        return 200 <= response.status < 300


def celery_node_answers() -> bool:
    """Ping celery@<this host>, the node name `celery worker` takes by default; no Django settings needed."""
    from celery import Celery

    broker = os.environ.get("INASAFE_REALTIME_BROKER_URL", "redis://localhost:6379/0")
    app = Celery("healthcheck", broker=broker, set_as_current=False)
    app.conf.update(broker_connection_timeout=PING_SECONDS, broker_connection_retry=False,
                    broker_connection_max_retries=0)
    node = f"celery@{socket.gethostname()}"
    replies = app.control.ping(destination=[node], timeout=PING_SECONDS)
    return any(node in reply for reply in replies)


def main() -> int:
    path = os.environ.get("REALTIME_HEALTH_FILE", "/tmp/realtime-health")
    try:
        with open(path) as handle:
            check = handle.read().strip()
        healthy = celery_node_answers() if check == "celery" else url_answers(check)
    except Exception as exc:  # any failure is unhealthy; one line, no traceback
        print(f"unhealthy: {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if not healthy:
        print(f"unhealthy: {path}: {check} did not answer", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
