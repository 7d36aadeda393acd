"""/realtime/api/v1/ itself: where a newcomer starts, so it lists every endpoint and links the docs.

The list is read from events.api_urls and each view's docstring (whose first line is also the endpoint's
description in the OpenAPI schema), so a new endpoint appears here without a second list to keep.
"""

from __future__ import annotations

import inspect
import re

from django.conf import settings
from django.urls import URLPattern, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

METHODS = ("get", "post", "put", "patch", "delete")
PARAMETER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def first_line(view_class) -> str:
    doc = inspect.getdoc(view_class) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def endpoint(request: Request, prefix: str, pattern: URLPattern) -> dict:
    """One row of the root: the path as a template ({shake_id}), its methods and what it is for."""
    view_class = pattern.callback.view_class
    path = prefix + PARAMETER.sub(r"{\1}", str(pattern.pattern))
    return {
        "path": path,
        "url": request.build_absolute_uri(path) if "{" not in path else None,
        "methods": [method.upper() for method in METHODS if hasattr(view_class, method)],
        "description": first_line(view_class),
    }


class ApiRoot(APIView):
    """Earthquake and flood impact estimates published by InaSAFE Realtime. Every endpoint below can be read
    without a key. The docs link opens the interactive documentation; the schema link is its OpenAPI 3 file.
    """

    permission_classes = [AllowAny]

    def get_view_name(self) -> str:
        return settings.SPECTACULAR_SETTINGS["TITLE"]

    @extend_schema(exclude=True)
    def get(self, request):
        from events import api_urls  # the URLconf imports this module

        prefix = reverse("api:root")
        endpoints = [endpoint(request, prefix, pattern) for pattern in api_urls.urlpatterns
                     if isinstance(pattern, URLPattern) and pattern.callback.view_class is not type(self)]
        return Response({
            "name": settings.SPECTACULAR_SETTINGS["TITLE"],
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
            "description": first_line(type(self)),
            "docs": request.build_absolute_uri(reverse("swagger-ui")),
            "schema": request.build_absolute_uri(reverse("schema")),
            "login": request.build_absolute_uri(reverse("api:auth:login")),
            "endpoints": endpoints,
        })
