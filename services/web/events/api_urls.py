"""/realtime/api/v1/: the paths of docs/reference earthquake.md §4 and flood.md §5 (trailing slashes)."""

from django.urls import include, path

from events import api_views as views
from events import ash_api_urls
from events.api_root import ApiRoot
from events import converters  # noqa: F401 (registers the id converters)

app_name = "api"

urlpatterns = [
    path("", ApiRoot.as_view(), name="root"),
    # The processor logs in here (GET for the csrftoken cookie, then POST the form); own instance namespace
    # so it does not clash with the same views at /realtime/api-auth/.
    path("auth/", include(("rest_framework.urls", "rest_framework"), namespace="auth")),
    path("earthquake/", views.EarthquakeList.as_view(), name="earthquake-list"),
    path("earthquake/<shake_id:shake_id>/", views.EarthquakeByShakeId.as_view(), name="earthquake-by-shake-id"),
    path("earthquake/<shake_id:shake_id>/<source_type:source_type>/", views.EarthquakeDetail.as_view(),
         name="earthquake-detail"),
    path("earthquake-report/<shake_id:shake_id>/<source_type:source_type>/", views.EarthquakeReportList.as_view(),
         name="earthquake-report-list"),
    path("earthquake-report/<shake_id:shake_id>/<source_type:source_type>/<language:language>/",
         views.EarthquakeReportDetail.as_view(), name="earthquake-report-detail"),
    path("flood/", views.FloodList.as_view(), name="flood-list"),
    path("flood-events/", views.FloodEvents.as_view(), name="flood-events"),
    path("flood/<flood_id:event_id>/", views.FloodDetail.as_view(), name="flood-detail"),
    path("flood/<flood_id:event_id>/flood-data/", views.FloodData.as_view(), name="flood-data"),
    path("flood-report/<flood_id:event_id>/", views.FloodReportList.as_view(), name="flood-report-list"),
    path("flood-report/<flood_id:event_id>/<language:language>/", views.FloodReportDetail.as_view(),
         name="flood-report-detail"),
    *ash_api_urls.urlpatterns,
    # the processor's session check and heartbeat, listed last on the root page
    path("is_logged_in/", views.IsLoggedIn.as_view(), name="is-logged-in"),
    path("indicator/notify_shakemap_push/", views.NotifyShakemapPush.as_view(), name="notify-shakemap-push"),
]
