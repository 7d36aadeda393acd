from realtime.runtime.celery_app import app


@app.task(name="realtime.tasks.generic.check_broker_connection")
def check_broker_connection() -> bool:
    """The web app sends this to learn whether a processor is listening."""
    return True
