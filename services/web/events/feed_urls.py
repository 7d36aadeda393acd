"""Public feeds under /realtime/feeds/ (Atom, GeoJSON), no login."""

from django.urls import path

from events import feeds

urlpatterns = [
    path("feeds/earthquakes.atom", feeds.earthquakes_atom, name="feed-earthquakes-atom"),
    path("feeds/earthquakes.geojson", feeds.earthquakes_geojson, name="feed-earthquakes-geojson"),
    path("feeds/floods.atom", feeds.floods_atom, name="feed-floods-atom"),
    path("feeds/ash.atom", feeds.ashes_atom, name="feed-ash-atom"),
]
