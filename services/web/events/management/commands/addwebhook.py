"""Add (or update) a webhook endpoint: the admins' way in, since receivers are set up by hand with a secret."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from events.models import ALERT_LEVELS, Webhook
from events.webhooks import SecretError, new_secret, secret_key

HAZARDS = ("earthquake", "flood")


def parse_hazards(value: str) -> set[str]:
    hazards = {part.strip().lower() for part in value.split(",") if part.strip()}
    if not hazards or hazards - set(HAZARDS):
        raise CommandError(f"--hazards takes a comma-separated list of {', '.join(HAZARDS)} (got {value[:60]!r})")
    return hazards


class Command(BaseCommand):
    help = ("Add a webhook that receives a signed JSON payload (Standard Webhooks) for each qualifying event "
            "version. An existing webhook with the same URL is updated and turned on again.")

    def add_arguments(self, parser):
        parser.add_argument("url", help="http(s) URL the payloads are POSTed to")
        secret = parser.add_mutually_exclusive_group(required=True)
        secret.add_argument("--secret", help="whsec_ followed by base64 of at least 24 random bytes")
        secret.add_argument("--generate-secret", action="store_true",
                            help="make a secret and print it once (give it to the receiver)")
        parser.add_argument("--min-alert", choices=ALERT_LEVELS, default="green",
                            help="lowest PAGER alert level that is sent (default green: every version)")
        parser.add_argument("--hazards", default="earthquake", help="earthquake, flood or earthquake,flood")

    def handle(self, *args, url: str, secret: str | None, generate_secret: bool, min_alert: str, hazards: str,
               **options):
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise CommandError(f"not an http or https URL: {url[:200]!r}") from None
        if generate_secret:
            secret = new_secret()
        try:
            secret_key(secret)
        except SecretError as exc:
            raise CommandError(f"bad --secret: {exc}") from None
        wanted = parse_hazards(hazards)
        try:
            webhook, created = Webhook.objects.update_or_create(url=url, defaults={
                "secret": secret, "min_alert": min_alert, "earthquakes": "earthquake" in wanted,
                "floods": "flood" in wanted, "active": True})
        except Webhook.MultipleObjectsReturned:
            raise CommandError("several webhooks have this URL (added in the admin); change them there") from None
        what = "added" if created else "updated"
        self.stdout.write(f"webhook {webhook.pk} {what}: {url} (min alert {min_alert}; {', '.join(sorted(wanted))})")
        if generate_secret:
            self.stdout.write(f"secret (shown once, give it to the receiver): {secret}")
