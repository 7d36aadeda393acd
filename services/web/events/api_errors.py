"""Bad input gets a 400 with field errors, never a 500; an unexpected error is logged, never shown."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import JsonResponse
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
    """handler500: one JSON line for the API, Django's plain page elsewhere (django.request logged the traceback)."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "internal error; it has been logged"}, status=500)
    return page_server_error(request)
