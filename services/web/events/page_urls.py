"""The public pages under /realtime/."""

from django.urls import path

from events import converters  # noqa: F401 (registers the id converters)
from events import page_views

urlpatterns = [
    path("", page_views.earthquake_list, name="earthquake-list"),
    path("earthquake/<shake_id:shake_id>/<source_type:source_type>/", page_views.earthquake_detail,
         name="earthquake-detail"),
    path("flood/", page_views.flood_list, name="flood-list"),
]
