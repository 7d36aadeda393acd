from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from events import ash_upload

# JSON under /realtime/api/, the site's translated 404.html / 500.html elsewhere.
handler404 = "events.api_errors.not_found"
handler500 = "events.api_errors.server_error"


def media(request, path: str):
    """Reports are public documents; MEDIA_ROOT is read per request, not frozen when the URLs load."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)

# /healthz is answered by inasafe_web.middleware.HealthCheckMiddleware, before the allowed-hosts check.


urlpatterns = [
    path("realtime/api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own: the pages' CSP runs no inline script.
    path("realtime/api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("realtime/api/v1/", include("events.api_urls")),
    path("realtime/api-auth/", include("rest_framework.urls")),
    path("realtime/", include("events.feed_urls")),
    path("realtime/", include("events.cap_urls")),
    path("realtime/", include("events.subscribe_urls")),
    path("realtime/ash/upload/", ash_upload.ash_upload, name="ash-upload"),
    path("realtime/", include("events.page_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The app serves the reports itself, so it runs with no front proxy.
    re_path(r"^media/(?P<path>.*)$", media),
]
