"""Bad input gets a 400 with field errors, never a 500; an unexpected error is logged, never shown.

API clients get their errors as JSON under /realtime/api/ (a mistyped path too); people get the site's
404.html and 500.html, in their language.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as page_server_error
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/realtime/api/"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        return Response({"detail": ["this record already exists"]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):  # PostgreSQL refusing a value the serializers let through
        return Response({"detail": ["a value does not fit its column"]}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def server_error(request):
    """handler500: one JSON line for the API, the site's 500.html elsewhere (django.request logged the traceback)."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "internal error; it has been logged"}, status=500)
    return page_server_error(request)


def not_found(request, exception):
    """handler404: a path the API does not have is a JSON 404 like the API's own; pages get 404.html."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": f"no such API path: {request.path[:200]}"}, status=404)
    return page_not_found(request, exception)
