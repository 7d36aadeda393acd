"""Celery tasks, called by name by the monitor and the web app. Thin: they call the core."""
