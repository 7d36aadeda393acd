"""`realtime monitor|worker|status|push|config`: the long-running services and their ledger."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from realtime.cli.common import console, err_console, service_logging
from realtime.settings import get_settings

log = logging.getLogger("realtime")


def config() -> None:
    """Print the effective settings (secrets masked)."""
    table = Table(title="Effective settings")
    table.add_column("variable")
    table.add_column("value")
    for name, value in get_settings().masked().items():
        table.add_row(name, value)
    console.print(table)


def monitor(
    polling: Optional[bool] = typer.Option(None, "--polling/--inotify", help="Poll the folders (for NFS) instead of inotify. Default: REALTIME_MONITOR_POLLING."),
) -> None:
    """Watch SHAKEMAPS_DIR (and SHAKEMAPS_CORRECTED_DIR) and queue every complete new grid.xml."""
    from realtime.runtime.celery_app import QUEUE, app as celery
    from realtime.runtime.health import BrokerProbe, serve_health
    from realtime.runtime.monitor import MonitorLocked, run_monitor

    service_logging()
    settings = get_settings()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    def send(event_id: str, grid: Path, source_type: str, task_id: str) -> None:
        # ignore_result: no wait on the result store, which retries for 20 s while redis is down
        celery.send_task("realtime.tasks.earthquake.process_shake", task_id=task_id, queue=QUEUE, ignore_result=True,
                         kwargs={"event_id": event_id, "grid_file": str(grid), "source_type": source_type})

    state: dict = {}
    probe = BrokerProbe(celery)

    def healthy() -> tuple[bool, dict]:
        broker_ok, broker_error = probe()
        monitor_ = state.get("monitor")
        last_scan = monitor_.last_scan if monitor_ else None
        fresh = bool(last_scan) and datetime.now(timezone.utc) - last_scan < timedelta(seconds=2 * settings.reconcile_seconds + 60)
        return broker_ok and fresh, {"broker": broker_ok, "broker_error": broker_error, "last_scan": last_scan,
                                     "queued": monitor_.queued if monitor_ else 0}

    def ready(monitor_) -> None:  # the folder lock is held: now it is safe to take the health port
        state.update(monitor=monitor_, server=serve_health(settings.health_host, settings.monitor_health_port, healthy))

    try:
        run_monitor(settings, send, stop, polling=polling, on_ready=ready)
    except MonitorLocked as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=3)
    finally:
        if "server" in state:
            state["server"].shutdown()


def worker(loglevel: str = typer.Option("INFO", help="Celery log level.")) -> None:
    """Run the Celery worker for queue inasafe-realtime (earthquakes, floods, ash falls, pushes)."""
    from celery.signals import worker_ready

    from realtime.runtime.celery_app import QUEUE, app as celery
    from realtime.event_folder import remove_stale_work_folders
    from realtime.runtime.health import BrokerProbe, serve_health
    from realtime.runtime.outbox import flush_outbox
    from realtime.runtime.rebuild import extract_roots, rebuild_state

    service_logging()
    settings = get_settings()
    probe = BrokerProbe(celery)

    def healthy() -> tuple[bool, dict]:
        ok, error = probe()
        return ok, {"broker": ok, "broker_error": error}

    @worker_ready.connect
    def deliver_waiting_pushes(**_):  # the outbox survives restarts: deliver what waited
        try:
            delivered, pending = flush_outbox(settings)
            log.info("outbox at start-up: %d delivered, %d pending", delivered, pending)
            if pending and settings.push_configured:
                celery.send_task("realtime.tasks.push.flush_outbox", queue=QUEUE, countdown=5)
        except Exception:
            log.exception("outbox flush at start-up failed")

    for _, folder in extract_roots(settings):
        for stale in remove_stale_work_folders(folder):  # what runs killed by SIGKILL or a hard time limit left
            log.warning("removed %s, left by a killed run", stale)
    serve_health(settings.health_host, settings.worker_health_port, healthy)
    try:  # this container's state may be empty (a move to another host): rebuilt before any task is taken
        rebuild_state(settings)
    except Exception:  # the worker starts all the same; the shared volume still stops double processing
        log.exception("state rebuild at start-up failed; run `realtime state rebuild` once the cause is fixed")
    celery.worker_main(["worker", "-Q", QUEUE, "--concurrency", "1", "--prefetch-multiplier", "1",
                        "--loglevel", loglevel, "--without-gossip", "--without-mingle"])


def status(
    event_id: Optional[str] = typer.Argument(None, help="Only this event (shake id, flood id or ash id)."),
    failed: bool = typer.Option(False, "--failed", help="Only failed event versions."),
    limit: int = typer.Option(50, help="Rows to show."),
) -> None:
    """Show the event ledger (seen, queued, processed, failed, pushed) and the push outbox (waiting, dead)."""
    from realtime.runtime.jobs import ledger_for

    ledger = ledger_for(get_settings())
    rows = ledger.events(event_id=event_id, failed_only=failed, limit=limit)
    pending, dead = ledger.count_pushes("pending"), ledger.count_pushes("dead")
    table = Table(title=f"Event ledger ({pending} push(es) pending, {dead} dead)")
    for column in ("kind", "event", "source", "version", "state", "tries", "updated (UTC)"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        updated = (row["updated_at"] or "")[5:16].replace("T", " ")
        table.add_row(row["kind"][:5], row["event_id"], row["source_type"], row["sha256"][:8], row["state"],
                      str(row["attempts"]), updated)
    console.print(table)
    for row in rows:  # errors in full, below the table, so long paths stay readable
        if row["error"]:
            console.print(f"{row['event_id']} ({row['sha256'][:8]}): {row['error']}", soft_wrap=True, markup=False)
    if event_id:
        _print_shared(event_id)
    _print_outbox(ledger, event_id, limit)


def _print_shared(event_id: str) -> None:
    """What the shared volume holds for the event: this container's ledger may not know it (another host's)."""
    from realtime.runtime.rebuild import PRODUCT_FOLDERS, extract_roots
    from realtime.runtime.shared import describe

    lines = [line for kind, root in extract_roots(get_settings()) if PRODUCT_FOLDERS[kind].is_event_id(event_id)
             for line in describe(root, event_id)]
    if lines:
        console.print("\n[bold]On the shared volume:[/]")
    for line in lines:
        console.print(line, soft_wrap=True, markup=False)


def _print_outbox(ledger, event_id: Optional[str], limit: int) -> None:
    """Dead deliveries and failing ones, each with the web app's answer; refused credentials called out."""
    waiting = [row for row in ledger.pushes("pending", event_id, limit) if row["attempts"]]
    dead = ledger.pushes("dead", event_id, limit)
    if waiting:
        console.print(f"\n[bold]Deliveries being retried[/] ({len(waiting)}):")
    for row in waiting:
        retry = datetime.fromtimestamp(row["next_attempt_at"], timezone.utc).strftime("%m-%d %H:%M:%S")
        console.print(f"{_delivery(row)}, next try {retry} UTC: {row['last_error']}", soft_wrap=True, markup=False)
    if any(row["last_status"] in (401, 403) for row in waiting):
        console.print("[bold yellow]The web app refuses the push user:[/] check INASAFE_REALTIME_REST_USER, "
                      "INASAFE_REALTIME_REST_PASSWORD and the user's permissions in the web app.")
    if dead:
        console.print(f"\n[bold red]Dead deliveries[/] ({len(dead)}), not retried until "
                      "`realtime push --retry-dead [EVENT_ID]`:")
    for row in dead:
        since = (row["dead_at"] or "")[5:16].replace("T", " ")
        console.print(f"{_delivery(row)}, dead since {since} UTC: {row['last_error']}", soft_wrap=True, markup=False)


def _delivery(row: dict) -> str:
    attempts = row["attempts"]
    return f"{row['kind']} {row['event_id']} ({row['sha256'][:8]}), {attempts} attempt{'' if attempts == 1 else 's'}"


def push(
    event_id: Optional[str] = typer.Argument(None, help="With --retry-dead: only this event's dead deliveries."),
    retry_dead: bool = typer.Option(
        False, "--retry-dead",
        help="Put dead deliveries (the web app refused their data, or they waited past REALTIME_PUSH_MAX_AGE_HOURS) "
             "back in the outbox and deliver them now. Fix the cause first: `realtime status` shows it."),
    pending: bool = typer.Option(True, "--pending", hidden=True, help="Kept for old scripts; always on."),
) -> None:
    """Deliver everything waiting in the outbox now, ignoring the backoff. Exit code 1 while some wait or are dead,
    2 when INASAFE_REALTIME_REST_URL, _USER or _PASSWORD is not set (the outbox is left as it is)."""
    from realtime.runtime.jobs import ledger_for
    from realtime.runtime.outbox import flush_outbox

    service_logging()
    settings = get_settings()
    ledger = ledger_for(settings)
    if not settings.push_configured:  # nothing could be sent: refuse before touching the outbox
        unset = [name for name, value in (("INASAFE_REALTIME_REST_URL", settings.rest_url),
                                          ("INASAFE_REALTIME_REST_USER", settings.rest_user),
                                          ("INASAFE_REALTIME_REST_PASSWORD", settings.rest_password.get_secret_value()))
                 if not value]
        waiting = ledger.pending_pushes()
        err_console.print(f"[bold red]error:[/] {', '.join(unset)} not set: nothing pushed; {waiting} "
                          f"deliver{'y waits' if waiting == 1 else 'ies wait'} in the outbox", soft_wrap=True)
        raise typer.Exit(code=2)
    if event_id and not retry_dead:
        err_console.print("[bold red]error:[/] an EVENT_ID goes with --retry-dead (plain `realtime push` delivers all)")
        raise typer.Exit(code=2)
    if retry_dead:
        revived = ledger.retry_dead(event_id)
        if not revived:
            err_console.print(f"[bold red]error:[/] no dead delivery{' for ' + event_id if event_id else ''}")
            raise typer.Exit(code=2)
        console.print(f"{revived} dead deliver{'y' if revived == 1 else 'ies'} back in the outbox")
    delivered, waiting = flush_outbox(settings, force=pending)
    dead = ledger.count_pushes("dead")
    console.print(f"pushed {delivered}, {waiting} still waiting, {dead} dead")
    if waiting or dead:
        raise typer.Exit(code=1)
