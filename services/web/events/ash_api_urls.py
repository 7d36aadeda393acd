"""The ash paths of /realtime/api/v1/ (docs/reference/ash.md §2), included by api_urls."""

from django.urls import path

from events import ash_api_views as views
from events import ash_ids, converters  # noqa: F401 (registers the id converters, <volcano_name:...>, <ash_time:...>)

EVENT = "<volcano_name:volcano_name>/<ash_time:event_time>"

urlpatterns = [
    path("ash/", views.AshList.as_view(), name="ash-list"),
    path(f"ash/{EVENT}/", views.AshDetail.as_view(), name="ash-detail"),
    path(f"ash-report/{EVENT}/", views.AshReportList.as_view(), name="ash-report-list"),
    path(f"ash-report/{EVENT}/<language:language>/", views.AshReportDetail.as_view(), name="ash-report-detail"),
    path("ash-feature/", views.AshFeature.as_view(), name="ash-feature"),
    path("volcano-list/", views.VolcanoList.as_view(), name="volcano-list"),
]
