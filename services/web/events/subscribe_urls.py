"""Email subscription pages under /realtime/subscribe/ (double opt-in, one-click unsubscribe)."""

urlpatterns: list = []
