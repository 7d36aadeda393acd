"""What every command shares: the consoles, one-line errors, a clean stop, service logging."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Refuse the input: one line, exit 2."""
    err_console.print("[bold red]error:[/]", escape(message), highlight=False)
    raise typer.Exit(code=2)


def unexpected(subject: Path | str, exc: Exception) -> NoReturn:
    """Not the input's fault (a full disk, a bug): still one line naming the file, exit 1; REALTIME_DEBUG=1 shows more."""
    if os.environ.get("REALTIME_DEBUG"):
        raise exc
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) != str(subject):
        detail = f"{detail}: {exc.filename}"  # which path: the subject may be the input, the fault its output
    err_console.print("[bold red]error:[/]", escape(f"{subject}: {type(exc).__name__}: {detail}"), highlight=False)
    raise typer.Exit(code=1)


def stop_cleanly_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written staging folder is removed on the way out."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def service_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("weasyprint", "fontTools", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def print_timings(timings: dict[str, float]) -> None:
    console.print("[dim]" + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in timings.items()) + "[/]")
