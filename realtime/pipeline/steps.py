"""What every hazard's pipeline shares: progress reports and per-step timings."""

from __future__ import annotations

import time
from typing import Callable

Progress = Callable[[str], None]


class Stopwatch:
    def __init__(self, progress: Progress | None):
        self.progress = progress or (lambda step: None)
        self.timings: dict[str, float] = {}
        self._step: str | None = None
        self._start = 0.0

    def step(self, name: str) -> None:
        self.stop()
        self.progress(name)
        self._step, self._start = name, time.perf_counter()

    def stop(self) -> None:
        if self._step:
            self.timings[self._step] = time.perf_counter() - self._start
            self._step = None
