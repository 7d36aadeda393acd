"""Public feeds under /realtime/feeds/ (Atom, GeoJSON), no login."""

urlpatterns: list = []
