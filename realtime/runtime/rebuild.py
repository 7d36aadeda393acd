"""Rebuild this container's ledger and outbox from the shared truth: the product folders and the web app.

Each container keeps its state (REALTIME_STATE_DIR) on its own storage, so a
worker that moves to another host starts with an empty ledger. What must not
be lost is on NFS and in the web app: every product folder names its version
(impact.json), and the web app's record holds the impact.json it was last sent
(written last by the push). So at start-up, and on `realtime state rebuild`:

- every product folder changed within the window is recorded done (its
  version); when the web app holds exactly those products, with a report in
  every language the folder has, it is recorded pushed (outbox: sent);
  otherwise its push is queued, aged from when the products were made, so
  REALTIME_PUSH_MAX_AGE_HOURS still counts from then;
- a folder of the earlier (QGIS) system is recorded `adopted`;
- every refusal record on the shared volume becomes a `failed` row.

The window is the longer of REALTIME_RECONCILE_MAX_AGE_DAYS (the monitor looks
at grids that young again, so their state is worth showing) and
REALTIME_PUSH_MAX_AGE_HOURS (older deliveries would be dead by now). When the
web app cannot be asked (down, refusing the user), the remaining folders are
queued unchecked: the outbox asks again before it sends (`outbox.web_holds`),
so what the web app has is not uploaded twice, and what it lacks is delivered
once it answers. Nothing here deletes or downgrades a row: a pending or dead
delivery in a surviving ledger stays as it is. Two workers rebuilding at once
may both send the same push; pushes are upserts, so the web app ends the same.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from realtime.event_folder import IMPACT_JSON, holds_earlier_products, input_sha256, read_impact
from realtime.ids import FloodIdError, ash_id_problem, is_shake_id, parse_flood_id, source_type_of
from realtime.runtime.hazards import HAZARDS, Hazard
from realtime.runtime.jobs import ledger_for
from realtime.runtime.ledger import FINISHED, EventKey, Ledger
from realtime.runtime.outbox import rest_client, web_holds
from realtime.runtime.rest import PushError, RealtimeRest
from realtime.runtime.shared import ADOPTED_NOTE, refusals
from realtime.settings import Settings

log = logging.getLogger(__name__)
PROGRESS_EVERY = 100  # folders between progress lines


def _is_flood_id(name: str) -> bool:
    try:
        parse_flood_id(name)
    except FloodIdError:
        return False
    return True


@dataclass(frozen=True)
class ProductFolders:
    """Where one hazard's product folders are, and what their names look like."""

    roots: Callable[[Settings], list[Path]]
    is_event_id: Callable[[str], bool]
    source_type_of: Callable[[str], str] = lambda _: ""


# One row per hazard of the HAZARDS table (a new hazard adds its own).
PRODUCT_FOLDERS: dict[str, ProductFolders] = {
    "earthquake": ProductFolders(lambda s: [s.extract_dir_for("initial"), s.extract_dir_for("corrected")],
                                 is_shake_id, source_type_of),
    "flood": ProductFolders(lambda s: [s.flood_extract_dir], _is_flood_id),
    "ash": ProductFolders(lambda s: [s.ash_products_dir], lambda name: ash_id_problem(name) is None),
}


def extract_roots(settings: Settings) -> list[tuple[str, Path]]:
    """(hazard kind, folder) for every hazard's product folders, each folder once."""
    roots, seen = [], set()
    for kind in HAZARDS:
        if kind not in PRODUCT_FOLDERS:
            raise KeyError(f"hazard {kind!r} has no row in rebuild.PRODUCT_FOLDERS: where are its products?")
        for folder in PRODUCT_FOLDERS[kind].roots(settings):
            if Path(folder).resolve() not in seen:
                seen.add(Path(folder).resolve())
                roots.append((kind, Path(folder)))
    return roots


def window_seconds(settings: Settings) -> float:
    return max(settings.reconcile_max_age_days * 86400, settings.push_max_age_hours * 3600)


@dataclass
class RebuildSummary:
    window_hours: float
    folders: int = 0  # product folders changed within the window
    held: int = 0  # the web app holds them: recorded pushed
    queued: int = 0  # their push is pending now
    kept: int = 0  # this ledger already had their delivery pending or dead: left as it is
    adopted: int = 0
    skipped: int = 0  # unreadable, or not what their folder name says
    refusals: int = 0
    web_down: str = ""  # why the web app could not be asked, if it could not
    unchecked: int = 0  # queued without asking the web app
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        web = (f"; the web app could not be asked ({self.web_down}): {self.unchecked} queued unchecked, "
               "checked again before sending" if self.web_down else "")
        return (f"state rebuild: {self.folders} product folder(s) changed in the last {self.window_hours:g} h: "
                f"{self.held} in the web app (recorded pushed), {self.queued} queued for delivery, "
                f"{self.kept} already waiting in this ledger, {self.adopted} adopted (earlier system), "
                f"{self.skipped} skipped; {self.refusals} refusal(s) restored{web}; {self.seconds:.1f} s")


class _WebApp:
    """Asks the web app what it holds, until it cannot answer: then the rest is left to the outbox."""

    def __init__(self, client: RealtimeRest | None, summary: RebuildSummary):
        self.client, self.summary = client, summary
        if client is None:
            summary.web_down = "INASAFE_REALTIME_REST_URL/USER/PASSWORD not set"

    def holds(self, hazard: Hazard, key: EventKey, document: dict) -> bool | None:
        """True or False, or None when the web app cannot be asked."""
        if self.client is None or self.summary.web_down:
            return None
        try:
            return web_holds(self.client, hazard, key, document)
        except PushError as exc:
            if exc.permanent:  # a 4xx about this record: the delivery will find out and say so
                return False
            self.summary.web_down = str(exc)[:200]
            log.warning("state rebuild: the web app cannot be asked (%s); the remaining pushes are queued and "
                        "checked again before they are sent", exc)
            return None


def recent_folders(settings: Settings, horizon: float) -> Iterator[tuple[str, Path, float]]:
    """(hazard kind, event folder, mtime) of every product folder changed since `horizon`, newest first."""
    found = []
    for kind, root in extract_roots(settings):
        try:
            entries = list(os.scandir(root))
        except FileNotFoundError:  # nothing made there yet
            continue
        except OSError as exc:
            log.warning("state rebuild: cannot scan %s: %s", root, exc)
            continue
        for entry in entries:
            if not PRODUCT_FOLDERS[kind].is_event_id(entry.name) or not entry.is_dir(follow_symlinks=False):
                continue  # hidden work folders, .refused, set-aside `<id>.earlier` folders, stray files
            mtime = entry.stat(follow_symlinks=False).st_mtime
            if mtime >= horizon:
                found.append((kind, Path(entry.path), mtime))
    yield from sorted(found, key=lambda item: item[2], reverse=True)  # newest delivered first


def rebuild_state(settings: Settings, now: float | None = None) -> RebuildSummary:
    """Restore the ledger and the outbox from the product folders, the web app and the refusal records."""
    started = time.monotonic()
    ledger = ledger_for(settings)
    summary = RebuildSummary(window_seconds(settings) / 3600)
    web = _WebApp(rest_client(settings), summary)
    folders = list(recent_folders(settings, (now or time.time()) - window_seconds(settings)))
    log.info("state rebuild: %d product folder(s) changed in the last %g h under %s", len(folders),
             summary.window_hours, ", ".join(str(root) for _, root in extract_roots(settings)))
    for number, (kind, folder, mtime) in enumerate(folders, 1):
        _restore(ledger, kind, folder, mtime, web, summary)
        if number % PROGRESS_EVERY == 0:
            log.info("state rebuild: %d of %d folders", number, len(folders))
    summary.folders = len(folders)
    for _, root in extract_roots(settings):
        for key, reason in refusals(root):
            if ledger.set_state(key, "failed", error=f"refused for good (recorded on the shared volume): {reason}",
                                unless=FINISHED):
                summary.refusals += 1
    summary.seconds = time.monotonic() - started
    log.info("%s", summary.line())
    return summary


def _restore(ledger: Ledger, kind: str, folder: Path, mtime: float, web: _WebApp, summary: RebuildSummary) -> None:
    """One product folder into the ledger and, unless the web app holds it, the outbox."""
    hazard, rows = HAZARDS[kind], PRODUCT_FOLDERS[kind]
    document = read_impact(folder)
    if document is None:
        if holds_earlier_products(folder):
            key = EventKey(kind, folder.name, rows.source_type_of(folder.name), "")
            ledger.set_state(key, "adopted", error=ADOPTED_NOTE, path=str(folder), unless=FINISHED)
            summary.adopted += 1
        elif (folder / IMPACT_JSON).exists():
            _skip(summary, f"{folder}: impact.json unreadable")
        return
    version = input_sha256(folder, document)
    if document.get(hazard.id_key) != folder.name or not version:
        _skip(summary, f"{folder}: impact.json names {kind} {document.get(hazard.id_key)!r}"
                       f"{'' if version else ' and no input version'}")
        return
    key = EventKey(kind, folder.name, str(document.get("source_type") or rows.source_type_of(folder.name)), version)
    ledger.set_state(key, "done", path=str(folder), unless=("done", "pushed"))
    held = web.holds(hazard, key, document)
    if held:
        ledger.record_delivered(key, str(folder))
        ledger.set_state(key, "pushed")
        summary.held += 1
    elif ledger.restore_push(key, str(folder), pending_since=mtime):
        summary.queued += 1
        if held is None:
            summary.unchecked += 1
    else:
        summary.kept += 1


def _skip(summary: RebuildSummary, problem: str) -> None:
    summary.skipped += 1
    summary.problems.append(problem)
    log.warning("state rebuild: %s; skipped", problem)
