"""Fill the Volcano table from the processor's packaged table, so the upload page offers what it knows.

Reads realtime/ash/data/volcanoes.json through importlib.resources (plain JSON: importing the data package
runs no numpy). Idempotent: rows are matched by name and updated; volcanoes added by hand are kept.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from events.models import Volcano

PACKAGE, TABLE = "realtime.ash", "data/volcanoes.json"


def read_table(path: Path | None = None) -> list[dict]:
    """The table's rows as Volcano fields; CommandError with one line for a missing or malformed table."""
    try:
        text = path.read_text(encoding="utf-8") if path else \
            resources.files(PACKAGE).joinpath(TABLE).read_text(encoding="utf-8")
        rows = json.loads(text)["volcanoes"]
        source_note = json.loads(text).get("source", "")
        return [{"name": str(row["name"]).strip(), "gvp_number": str(row.get("gvp") or ""),
                 "latitude": float(row["latitude"]), "longitude": float(row["longitude"]),
                 "elevation_m": float(row["elevation_m"]), "region": str(row.get("region") or ""),
                 "timezone": str(row.get("timezone") or ""),
                 "source": str(row.get("source") or source_note)[:255]} for row in rows]
    except (OSError, ModuleNotFoundError) as exc:
        raise CommandError(f"the volcano table {path or f'{PACKAGE}/{TABLE}'} cannot be read: {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"the volcano table {path or f'{PACKAGE}/{TABLE}'} is malformed: {exc!r}") from None


class Command(BaseCommand):
    help = "Create or update the volcanoes of the processor's packaged table (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="another table in the same JSON form")

    def handle(self, *args, file: Path | None = None, **options):
        created = updated = 0
        with transaction.atomic():
            for row in read_table(file):
                name = row.pop("name")
                volcano = Volcano.objects.filter(name__iexact=name).first()
                if volcano is None:
                    Volcano.objects.create(name=name, **row)
                    created += 1
                elif any(getattr(volcano, key) != value for key, value in row.items()):
                    Volcano.objects.filter(pk=volcano.pk).update(**row)
                    updated += 1
        self.stdout.write(f"volcanoes: {created} created, {updated} updated, {Volcano.objects.count()} in all")
