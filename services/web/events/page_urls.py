"""The public pages under /realtime/."""

from django.urls import path, re_path

from events import converters  # noqa: F401 (registers the id converters)
from events import ash_pages, flood_pages, latest_views, page_views

urlpatterns = [
    path("", page_views.earthquake_list, name="earthquake-list"),
    path("earthquake/<shake_id:shake_id>/<source_type:source_type>/", page_views.earthquake_detail,
         name="earthquake-detail"),
    path("flood/", flood_pages.flood_list, name="flood-list"),
    path("flood/<flood_id:event_id>/", flood_pages.flood_detail, name="flood-detail"),
    path("ash/", ash_pages.ash_list, name="ash-list"),
    path("ash/<ash_id:ash_id>/", ash_pages.ash_detail, name="ash-detail"),
    re_path(r"^latest/earthquake/(?P<language>[^/]{1,20})\.(?P<kind>pdf|png)$", latest_views.latest_earthquake_report,
            name="latest-earthquake-report"),
]
