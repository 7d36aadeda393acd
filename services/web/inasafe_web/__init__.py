"""InaSAFE Realtime web app: the REST API the processor pushes to, and event pages."""

from inasafe_web.celery import app as celery_app

__all__ = ["celery_app"]
