"""Ask the processor for a flood report now, as the hourly schedule does."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inasafe_web.celery import PROCESS_FLOOD, app


class Command(BaseCommand):
    help = "Send realtime.tasks.flood.process_flood to the processor queue once."

    def add_arguments(self, parser):
        parser.add_argument("--source", choices=["petabencana", "file"], default="petabencana")
        parser.add_argument("--file", help="snapshot path as the processor sees it (with --source file)")
        parser.add_argument("--flood-id", help="YYYYMMDDHH-6-rw; default: the processor picks the current hour")

    def handle(self, *args, source: str, file: str | None, flood_id: str | None, **options):
        if source == "file" and not file:
            raise CommandError("--source file needs --file PATH")
        kwargs = {"flood_id": flood_id, "data_source": source,
                  "data_source_args": {"filename": file} if source == "file" else None}
        result = app.send_task(PROCESS_FLOOD, kwargs=kwargs, queue=settings.PROCESSOR_QUEUE)
        self.stdout.write(f"sent {PROCESS_FLOOD} as task {result.id} to queue {settings.PROCESSOR_QUEUE}")
