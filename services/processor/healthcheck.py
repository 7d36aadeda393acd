"""HEALTHCHECK: GET the running role's health URL (written by entrypoint.sh); exit 0 when it answers 2xx."""

import os
import sys
import urllib.request

path = os.environ.get("REALTIME_HEALTH_URL_FILE", "/tmp/realtime-health-url")
try:
    with open(path) as handle:
        url = handle.read().strip()
    with urllib.request.urlopen(url, timeout=4) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception as exc:  # any failure is unhealthy
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
