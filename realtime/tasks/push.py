import time

from realtime.runtime.celery_app import app
from realtime.runtime.jobs import ledger_for
from realtime.runtime.outbox import flush_outbox
from realtime.settings import get_settings


@app.task(name="realtime.tasks.push.flush_outbox")
def flush_outbox_task() -> dict:
    """Deliver due pushes; while some wait, come back when the next one is due (dead ones wait for a person)."""
    settings = get_settings()
    delivered, pending = flush_outbox(settings)
    if pending and settings.push_configured:
        due = ledger_for(settings).next_push_at()
        wait = max(1.0, due - time.time()) if due else 5.0
        flush_outbox_task.apply_async(countdown=min(wait, 600))
    return {"delivered": delivered, "pending": pending}
