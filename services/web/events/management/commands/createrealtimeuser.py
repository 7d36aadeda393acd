"""Create (or update) the user the processor pushes with, in the 'Realtime REST User' group."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

MODELS = ("earthquake", "earthquakereport", "flood", "floodreport", "ash", "ashreport", "userpush")
ACTIONS = ("add", "change", "delete", "view")


class Command(BaseCommand):
    help = "Create or update a realtime push user (idempotent): EMAIL PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("password")

    def handle(self, *args, email: str, password: str, **options):
        group, _ = Group.objects.get_or_create(name=settings.REALTIME_GROUP)
        codenames = [f"{action}_{model}" for model in MODELS for action in ACTIONS]
        group.permissions.set(Permission.objects.filter(content_type__app_label="events", codename__in=codenames))
        user, created = get_user_model().objects.get_or_create(username=email, defaults={"email": email})
        user.email = email
        user.set_password(password)
        user.save()
        user.groups.add(group)
        self.stdout.write(f"{'created' if created else 'updated'} {email} in group '{group.name}'")
