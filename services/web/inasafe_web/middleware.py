"""Request and response guards that sit in front of every view.

HealthCheckMiddleware answers /healthz before anything calls request.get_host(): health checks ask 127.0.0.1
(the image's HEALTHCHECK) or send no Host at all (Rancher's `GET /healthz HTTP/1.0`), and neither is one of
the site's public names in DJANGO_ALLOWED_HOSTS. Every other path still goes through the host check.
RequestBodyLimitMiddleware refuses a body from its Content-Length before anything reads it (CSRF, the
multipart parser, DRF), so a 220 MB upload costs the server nothing. ContentSecurityPolicyMiddleware
sends a policy under which the pages run no inline script or style.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)
HEALTH_PATH = "/healthz"

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# DRF's browsable API, its login page and the admin use style="..." attributes; scripts stay 'self' there too.
THIRD_PARTY_POLICY = PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
THIRD_PARTY_PREFIXES = ("/realtime/api/", "/realtime/api-auth/", "/admin/")


def refusal(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def body_limit(meta) -> int:
    """Multipart bodies carry files (REALTIME_WEB_MAX_UPLOAD_MB plus the form); others only form fields."""
    if meta.get("CONTENT_TYPE", "").startswith("multipart/"):
        return settings.MAX_REQUEST_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class HealthCheckMiddleware:
    """Answer /healthz itself (the app runs and its database answers), never asking for the request's host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != HEALTH_PATH:
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            logger.warning("healthz: the database does not answer (%s)", type(exc).__name__)
            response = JsonResponse({"healthy": False, "detail": "the database does not answer"}, status=503)
        else:
            response = JsonResponse({"healthy": True})
        response.headers["Content-Length"] = str(len(response.content))  # CommonMiddleware, which would, comes later
        return response


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in WRITE_METHODS:
            meta = request.META
            if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
                return refusal(411, f"{request.method} {request.path}: send a Content-Length (chunked bodies "
                                    "are not taken)")
            text = meta.get("CONTENT_LENGTH") or "0"
            try:
                length = int(text)
            except ValueError:
                return refusal(400, f"{request.method} {request.path}: Content-Length {text[:20]!r} is not a number")
            limit = body_limit(meta)
            if length > limit:
                return refusal(413, f"the request body is {length} bytes; the limit is {limit} "
                                    "(REALTIME_WEB_MAX_UPLOAD_MB)")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        third_party = request.path.startswith(THIRD_PARTY_PREFIXES)
        response.headers.setdefault("Content-Security-Policy", THIRD_PARTY_POLICY if third_party else PAGE_POLICY)
        return response
