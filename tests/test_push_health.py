"""Health endpoints listen on loopback unless a deployment asks for more (REALTIME_HEALTH_HOST)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from servers import REPO, free_port, stop, wait_for_port
from realtime.runtime.health import serve_health
from realtime.settings import Settings


def listening_addresses(port: int) -> set[str]:
    """IPv4 addresses with a socket listening on `port`, read from /proc/net/tcp (state 0A is LISTEN)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, _, state = line.split()[1:4]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))  # little-endian
    return found


def test_the_default_health_host_is_loopback(monkeypatch):
    monkeypatch.delenv("REALTIME_HEALTH_HOST", raising=False)
    assert Settings().health_host == "127.0.0.1"
    monkeypatch.setenv("REALTIME_HEALTH_HOST", "0.0.0.0")
    assert Settings().health_host == "0.0.0.0"  # what a Rancher HTTP check needs, asked for explicitly


def test_a_health_server_on_the_default_host_answers_on_loopback_only(monkeypatch):
    monkeypatch.delenv("REALTIME_HEALTH_HOST", raising=False)
    port = free_port()
    server = serve_health(Settings().health_host, port, lambda: (True, {"broker": True}))
    try:
        assert server.server_address == ("127.0.0.1", port)
        assert listening_addresses(port) == {"127.0.0.1"}
        answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert answer.status_code == 200 and answer.json() == {"healthy": True, "broker": True}
    finally:
        server.shutdown()
        server.server_close()


def test_the_monitor_binds_its_health_port_to_loopback_by_default(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REALTIME_HEALTH_HOST"}
    env.update({"SHAKEMAPS_DIR": str(tmp_path / "shakemaps"), "REALTIME_STATE_DIR": str(tmp_path / "state"),
                "INASAFE_REALTIME_BROKER_HOST": f"redis://127.0.0.1:{free_port()}/0",  # nobody there: unhealthy
                "REALTIME_MONITOR_HEALTH_PORT": str(port)})
    (tmp_path / "shakemaps").mkdir()
    process = subprocess.Popen([sys.executable, "-m", "realtime", "monitor", "--polling"], env=env, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, timeout=60)
        assert listening_addresses(port) == {"127.0.0.1"}
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 503  # no broker
    finally:
        stop(process)
