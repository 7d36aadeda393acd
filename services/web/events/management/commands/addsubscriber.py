"""Add or update an email subscriber, confirmed at once (the admin vouches for the address)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from events import subscriptions
from events.models import Subscriber


class Command(BaseCommand):
    help = ("Subscribe EMAIL to event emails, confirmed at once; an existing subscriber gets the options given "
            "(and is subscribed again if they had unsubscribed).")

    def run_from_argv(self, argv):
        super().run_from_argv(attach_negative_values(argv))

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--min-alert", help="green, yellow, orange or red (default for a new one: green)")
        parser.add_argument("--min-magnitude", help="e.g. 5.0 (default for a new one: 0)")
        parser.add_argument("--language", help="en or id (default for a new one: en)")
        parser.add_argument("--bbox", help="W,S,E,N in degrees; 'none' removes the box")
        parser.add_argument("--hazards", help="earthquake, flood or earthquake,flood (default: earthquake)")

    def handle(self, *args, email: str, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"not an email address: {email!r}") from None
        changes = preferences(options)
        subscriber = Subscriber.objects.filter(email__iexact=email).first()
        created = subscriber is None
        if created:
            subscriber = Subscriber(email=email, token=subscriptions.new_token())
        subscriptions.confirm(subscriber, changes)
        self.stdout.write(f"{'added' if created else 'updated'} {describe(subscriber)}")


def attach_negative_values(argv: list[str]) -> list[str]:
    """`--bbox -11,-6,141,6`: argparse takes "-11,…" for an option; hand it over as `--bbox=-11,…`."""
    joined: list[str] = []
    for arg in argv:
        if joined and joined[-1] in ("--bbox", "--min-magnitude") and arg[:1] == "-" and arg[1:2].isdigit():
            joined[-1] = f"{joined[-1]}={arg}"
        else:
            joined.append(arg)
    return joined


def preferences(options: dict) -> dict:
    """The options given, checked; CommandError (one line) for a bad value."""
    changes: dict = {}
    if (alert := options.get("min_alert")) is not None:
        if problem := subscriptions.alert_problem(alert):
            raise CommandError(f"--min-alert {alert}: {problem}")
        changes["min_alert"] = alert
    if (magnitude := options.get("min_magnitude")) is not None:
        try:
            value = float(magnitude)
        except ValueError:
            raise CommandError(f"--min-magnitude wants a number, got {magnitude!r}") from None
        if problem := subscriptions.magnitude_problem(value):
            raise CommandError(f"--min-magnitude {magnitude}: {problem}")
        changes["min_magnitude"] = value
    if (language := options.get("language")) is not None:
        if language not in ("en", "id"):
            raise CommandError(f"--language must be en or id, got {language!r}")
        changes["language"] = language
    if (bbox := options.get("bbox")) is not None:
        try:
            box = (None,) * 4 if bbox.strip().lower() == "none" else subscriptions.parse_bbox(bbox)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        changes.update(zip(("bbox_west", "bbox_south", "bbox_east", "bbox_north"), box))
    if (hazards := options.get("hazards")) is not None:
        names = {name.strip() for name in hazards.split(",") if name.strip()}
        if not names or names - set(subscriptions.HAZARDS):
            raise CommandError(f"--hazards wants earthquake, flood or earthquake,flood, got {hazards!r}")
        changes.update(subscriptions.hazards_preferences(names))
    return changes


def describe(subscriber: Subscriber) -> str:
    hazards = ",".join(name for name, on in (("earthquake", subscriber.earthquakes), ("flood", subscriber.floods))
                       if on)
    box = (f"{subscriber.bbox_west:g},{subscriber.bbox_south:g},{subscriber.bbox_east:g},{subscriber.bbox_north:g}"
           if subscriber.bbox_west is not None else "none")
    return (f"{subscriber.email}: confirmed, language {subscriber.language}, hazards {hazards}, "
            f"min alert {subscriber.min_alert}, min magnitude {subscriber.min_magnitude:g}, bbox {box}")
