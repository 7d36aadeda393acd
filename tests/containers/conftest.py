"""Container stack tests: the real images under docker-compose, driven from the host on 127.0.0.1.

They need a Docker engine and the four images, and take minutes, so the normal suite skips them:
`make stack-test` sets STACK_TEST=1, starts dockerd if needed, builds the images, then runs this folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    if os.environ.get("STACK_TEST") == "1":
        return
    skip = pytest.mark.skip(reason="container stack tests: run `make stack-test` (STACK_TEST=1)")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)
