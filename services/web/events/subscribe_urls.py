"""Email subscription pages under /realtime/subscribe/ (double opt-in, one-click unsubscribe)."""

from django.urls import path

from events import subscribe_views

urlpatterns = [
    path("subscribe/", subscribe_views.subscribe, name="subscribe"),
    path("subscribe/sent/", subscribe_views.sent, name="subscribe-sent"),
    path("subscribe/confirm/<str:token>/", subscribe_views.confirm, name="subscribe-confirm"),
    path("subscribe/unsubscribe/<str:token>/", subscribe_views.unsubscribe, name="subscribe-unsubscribe"),
]
