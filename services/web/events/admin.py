"""The admin: events as the processor pushed them, who is notified, and the delivery log (read-only).

A webhook's secret is never shown: the list leaves it out and the form asks for a new one without echoing
the old one (left blank, the old one stays).
"""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from events.models import (Delivery, Earthquake, EarthquakeReport, Flood, FloodReport, OperatorAlert, Subscriber,
                           Webhook)
from events.webhooks import SecretError, secret_key

admin.site.register([Earthquake, EarthquakeReport, Flood, FloodReport])
admin.site.enable_nav_sidebar = False  # the delivery log needs the width; the index lists every model anyway
admin.site.site_header = admin.site.site_title = "InaSAFE Realtime administration"


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log: admins read it; rows are written by the senders only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "language", "min_alert", "min_magnitude", "earthquakes", "floods", "confirmed_at",
                    "unsubscribed_at")
    list_filter = ("language", "min_alert", "earthquakes", "floods")
    search_fields = ("email",)
    exclude = ("token",)  # the confirm/unsubscribe secret


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", widget=forms.URLInput(attrs={"class": "vURLField"}))
    secret = forms.CharField(
        required=False, label="New secret", widget=forms.PasswordInput(render_value=False, attrs={"class": "vTextField"}),
        help_text="whsec_ followed by base64 of at least 24 bytes; leave blank to keep the current secret")

    class Meta:
        model = Webhook
        fields = ("url", "secret", "min_alert", "earthquakes", "floods", "active")

    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret", "").strip()
        if not secret:
            if self.instance.pk is None:
                raise forms.ValidationError("a new webhook needs a secret")
            return self.instance.secret
        try:
            secret_key(secret)
        except SecretError as exc:
            raise forms.ValidationError(str(exc)) from None
        return secret


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ("url", "min_alert", "earthquakes", "floods", "active", "masked_secret", "created_at")
    list_filter = ("active", "min_alert")
    readonly_fields = ("masked_secret",)
    fields = ("url", "masked_secret", "secret", "min_alert", "earthquakes", "floods", "active")

    @admin.display(description="secret")
    def masked_secret(self, obj: Webhook) -> str:
        return "whsec_••••••••" if obj.secret else "—"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("channel", "recipient", "event", "status", "tries", "http", "error", "sent_at")
    list_filter = ("channel", "status", "response_code", "created_at")
    search_fields = ("subscriber__email", "webhook__url", "earthquake__shake_id", "flood__event_id", "message_id")
    list_select_related = ("subscriber", "webhook", "earthquake", "flood")
    date_hierarchy = "created_at"

    @admin.display(description="recipient")
    def recipient(self, obj: Delivery) -> str:
        """A webhook by its number and host (the full URL is on its own page): the column stays narrow."""
        if obj.webhook is not None:
            return f"webhook {obj.webhook.pk} ({urlsplit(obj.webhook.url).hostname})"
        return str(obj.subscriber or "—")

    @admin.display(description="event")
    def event(self, obj: Delivery) -> str:
        # A corrected shake id is 45 characters: let it wrap at its underscores.
        return format_html_join(mark_safe("_<wbr>"), "{}", ((part,) for part in str(obj.earthquake or obj.flood or "—")
                                                            .split("_")))

    @admin.display(description="last error")
    def error(self, obj: Delivery) -> str:
        return Truncator(obj.last_error).chars(60)

    @admin.display(description="tries", ordering="attempts")
    def tries(self, obj: Delivery) -> int:
        return obj.attempts

    @admin.display(description="HTTP", ordering="response_code")
    def http(self, obj: Delivery) -> int | None:
        return obj.response_code


@admin.register(OperatorAlert)
class OperatorAlertAdmin(ReadOnlyAdmin):
    list_display = ("kind", "key", "detail", "created_at", "sent_at")
    list_filter = ("kind",)
    search_fields = ("key", "detail")
