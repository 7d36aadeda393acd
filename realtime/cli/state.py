"""`realtime state rebuild`: this container's ledger and outbox, rebuilt from the shared volume and the web app."""

from __future__ import annotations

import typer

from realtime.cli.common import console, service_logging
from realtime.settings import get_settings

app = typer.Typer(help="This container's state (REALTIME_STATE_DIR): the event ledger and the push outbox.",
                  no_args_is_help=True)


REBUILD_HELP = "\n\n".join((
    "Rebuild the ledger and the push outbox from the product folders on the shared volume and the web app.",
    "`realtime worker` runs it at every start, so that a worker that moved to another host (an empty "
    "REALTIME_STATE_DIR) loses no pending push and processes nothing twice.",
    "Every product folder changed within the longer of REALTIME_RECONCILE_MAX_AGE_DAYS and "
    "REALTIME_PUSH_MAX_AGE_HOURS is recorded done. When the web app holds exactly those products, with a report "
    "in every language the folder has, it is recorded pushed; otherwise its push is queued, for the worker to "
    "send (or `realtime push` now). When the web app cannot be asked, the pushes are queued and the outbox asks "
    "again before sending.",
    "Folders of the earlier system (products but no impact.json) are recorded adopted; refusal records on the "
    "shared volume become failed rows.",
    "Safe at any time: nothing is deleted, and no pending or dead delivery is changed.",
))


@app.command("rebuild", help=REBUILD_HELP)
def rebuild() -> None:
    """Rebuild the ledger and the outbox (see REBUILD_HELP)."""
    from realtime.runtime.rebuild import rebuild_state

    service_logging()
    summary = rebuild_state(get_settings())
    console.print(summary.line(), markup=False, soft_wrap=True)
