"""The public subscription pages: a form (double opt-in), confirm and one-click unsubscribe.

Links in mail are opened by scanners with GET, so GET only ever shows a button; the change is a POST.
Unsubscribing accepts RFC 8058's one-click POST ("List-Unsubscribe=One-Click") from a mail client, which
has no cookie and no CSRF token: the unguessable token in the URL is the authority.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from events import subscriptions
from events.models import LANGUAGE_CHOICES, Subscriber
from events.notify_email import confirmation_message
from events.summary import absolute

logger = logging.getLogger(__name__)

ALERT_LABELS = [("green", _("Green and above (every estimate)")), ("yellow", _("Yellow and above")),
                ("orange", _("Orange and above")), ("red", _("Red only"))]
CONFIRM_COOLDOWN = 600  # seconds between two confirmation mails to one address
HAZARD_LABELS = [("earthquake", _("Earthquakes")), ("flood", _("Jakarta floods"))]


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    language = forms.ChoiceField(label=_("Language of the emails"), choices=LANGUAGE_CHOICES)
    hazards = forms.MultipleChoiceField(label=_("Hazards"), choices=HAZARD_LABELS, initial=["earthquake"],
                                        widget=forms.CheckboxSelectMultiple,
                                        error_messages={"required": _("Choose at least one hazard.")})
    min_alert = forms.ChoiceField(label=_("Minimum alert level"), choices=ALERT_LABELS, initial="green")
    min_magnitude = forms.FloatField(label=_("Minimum magnitude"), initial=5.0, min_value=0, max_value=10,
                                     widget=forms.NumberInput(attrs={"step": "0.1"}))
    bbox_west = forms.FloatField(label=_("West"), required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    bbox_south = forms.FloatField(label=_("South"), required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    bbox_east = forms.FloatField(label=_("East"), required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    bbox_north = forms.FloatField(label=_("North"), required=False, widget=forms.NumberInput(attrs={"step": "any"}))

    BOX = ("bbox_west", "bbox_south", "bbox_east", "bbox_north")

    def clean(self):
        data = super().clean()
        box = [data.get(name) for name in self.BOX]
        given = [value is not None for value in box]
        if any(given) and not all(given):
            raise forms.ValidationError(_("Give all four edges of the area, or none for all of Indonesia."))
        if all(given) and (problem := subscriptions.bbox_problem(*box)):
            raise forms.ValidationError(problem)
        return data

    def preferences(self) -> dict:
        data = self.cleaned_data
        return {"language": data["language"], "min_alert": data["min_alert"],
                "min_magnitude": data["min_magnitude"], **{name: data[name] for name in self.BOX},
                **subscriptions.hazards_preferences(data["hazards"])}


def page_language(request, language: str) -> str:
    """The visitor's chosen language when they picked one on the site, else the subscription's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else language


def step(request, language: str, status: int = 200, **context):
    """One message page (sent, confirm, unsubscribe, done, invalid link) in the right language."""
    with translation.override(language):
        return render(request, "events/subscribe_step.html", {"section": "subscribe", **context}, status=status)


def invalid_link(request):
    return step(request, translation.get_language(), status=404, title=_("This link is not valid"),
                text=_("The link may be incomplete or out of date. You can subscribe again."),
                link=reverse("subscribe"), link_text=_("Subscribe"))


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    form = SubscribeForm(request.POST if request.method == "POST" else None,
                         initial={"language": translation.get_language()})
    if request.method == "POST" and form.is_valid():
        if not send_confirmation(form):
            form.add_error(None, _("We could not send the confirmation email just now. Please try again later."))
            return render(request, "events/subscribe_form.html", {"section": "subscribe", "form": form}, status=503)
        return redirect("subscribe-sent")
    status = 400 if request.method == "POST" else 200
    return render(request, "events/subscribe_form.html", {"section": "subscribe", "form": form}, status=status)


def send_confirmation(form: SubscribeForm) -> bool:
    """Mail the confirmation link; False when the mail server failed. An address is mailed at most once per
    CONFIRM_COOLDOWN (per web process), so the public form cannot be used to flood someone's inbox; the page
    answers the same either way."""
    preferences = form.preferences()
    subscriber, blob = subscriptions.request_subscription(form.cleaned_data["email"], preferences)
    if not cache.add(f"subscribe-confirmation:{subscriber.pk}", True, CONFIRM_COOLDOWN):
        return True
    confirm_url = absolute(reverse("subscribe-confirm", kwargs={"token": subscriber.token}))
    confirm_url += "?" + urlencode({"p": blob})
    try:
        confirmation_message(subscriber, confirm_url, preferences["language"]).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - the mail server is down: say so, the visitor retries later
        cache.delete(f"subscribe-confirmation:{subscriber.pk}")
        logger.warning("confirmation mail not sent (%s: %s)", type(exc).__name__, exc)
        return False
    return True


@never_cache
def sent(request):
    return step(request, translation.get_language(), title=_("Check your inbox"),
                text=_("We sent a confirmation link to the address you gave. Open it and press the button "
                       "to start receiving alerts. The link works for seven days."))


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    subscriber = Subscriber.objects.filter(token=token).first()
    if subscriber is None:
        return invalid_link(request)
    blob = request.POST.get("p") or request.GET.get("p") or ""
    preferences = subscriptions.signed_preferences(subscriber, blob) if blob else {}
    if preferences is None:
        return invalid_link(request)
    language = page_language(request, preferences.get("language", subscriber.language))
    if request.method == "POST":
        subscriptions.confirm(subscriber, preferences)
        return step(request, language, title=_("Subscription confirmed"),
                    text=_("You will receive an email for each new event that passes your thresholds. "
                           "Every email has a link to unsubscribe."))
    return step(request, language, title=_("Confirm your subscription"),
                text=_("Press the button to start receiving InaSAFE Realtime alerts at this address."),
                button=_("Confirm subscription"), hidden={"p": blob}, csrf=True)


@csrf_exempt  # RFC 8058 one-click POST: no cookie, no CSRF token; the token in the URL authorises it
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    subscriber = Subscriber.objects.filter(token=token).first()
    if subscriber is None:
        return invalid_link(request)
    language = page_language(request, subscriber.language)
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber)
        return step(request, language, title=_("You are unsubscribed"),
                    text=_("You will receive no more alerts from InaSAFE Realtime at this address."),
                    link=reverse("subscribe"), link_text=_("Subscribe again"))
    return step(request, language, title=_("Unsubscribe"),
                text=_("Press the button to stop receiving InaSAFE Realtime alerts at this address."),
                button=_("Unsubscribe"))
